"""Steps for version negotiation and quirk handling (scenarios/versions.yaml).

Why separate from ``conformance.steps``: these steps look at envelope *headers* (which the
other steps never need: they work on decoded messages) and switch the built-in target's
devices into deliberate misbehaviour, so they have their own restore logic. They register
in the same ``STEPS`` table (``conformance.steps`` imports this module).

- ``quirks: [name, ...]`` switches ``cwmp_cpe`` quirk modes on the embedded client of a
  built-in printer for the rest of the scenario (docs/tr069-client.md lists them); the
  scenario then checks that the stub ACS's judge flags the quirks that break TR-069 and
  tolerates the allowed variants.
- ``acs_versions: [1.0, ...]`` narrows the CWMP versions our stub ACS offers this device.
- ``envelopes`` checks the decoded envelopes of this scenario (namespace, cwmp headers).
- ``client: attribute`` reads what the in-process CWMP client negotiated or holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from printbench.conformance.matchers import match
from printbench.conformance.steps.base import StepFailed, StepSkipped, check, fs, step
from printbench.cwmp import messages as m
from printbench.cwmp import soap
from printbench.cwmp_cpe.config import ConfigError, check_quirks
from printbench.cwmp_cpe.handlers import parameter_handlers

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step

#: What ``client`` may read from a ``cwmp_cpe.Cpe`` (plain values, no internals).
CLIENT_ATTRIBUTES = {
    "negotiated_version": "the CWMP version of the last session (UseCWMPVersion or implied)",
    "version_cap": "the highest version the client offers (lowered by fault 8006)",
    "quirks": "the quirk modes switched on",
    "sessions": "sessions that got an InformResponse",
    "failed_sessions": "sessions that failed",
}


def _client(ctx: Context) -> Any:
    cpe = ctx.device.cwmp_client() if hasattr(ctx.device, "cwmp_client") else None
    if cpe is None:
        raise StepSkipped("no in-process CWMP client for this device (built-in target only)")
    return cpe


async def _no_session(ctx: Context, seconds: float = 10.0) -> None:
    """Wait (bounded) until the device has no session: a switch between sessions applies
    to whole sessions (one namespace, one boolean style per session)."""
    acs = getattr(ctx.target, "acs", None)
    if acs is None:
        return
    await ctx.until(lambda: acs.server.current_session(ctx.device.acs_id) is None, seconds)


def set_client_quirks(device: Any, quirks: frozenset[str]) -> None:
    """Switch ``quirks`` on (all others off) on the device's embedded client: the client's
    config, the runtime's quirk set, its parameter RPC handlers (some quirks live there)
    and the printer's own configuration (``management.quirks``) all say the same."""

    cpe = device.cwmp_client()
    cpe.config.quirks = quirks
    cpe.quirks = quirks
    if not getattr(device.client, "applies_parameter_quirks", False):  # the proxy's do
        for method, handler in parameter_handlers(cpe.tree, quirks).items():
            cpe.register(method, handler)
    printer = getattr(device, "printer", None)
    if printer is not None:
        printer.state.management.quirks = tuple(sorted(quirks))


@step("quirks", value="list", needs=fs("emulator"))
async def quirks(ctx: Context, st: Step) -> None:
    """Switch quirk modes (``cwmp_cpe`` names) on the CWMP runtime of a built-in device (a
    printer's embedded client, or the proxy's virtual device of a printer: the same runtime)
    for the rest of the scenario, from its next session on; the previous set is restored
    when the scenario ends. ``quirks: []`` switches them all off."""

    cpe = _client(ctx)  # the embedded client, or the proxy's virtual device: one runtime
    try:
        wanted = check_quirks(str(q) for q in ctx.subst(st.args["_"]))
    except ConfigError as exc:
        raise StepFailed(str(exc)) from None
    used = ctx.quirks_used
    if used is None:  # the first switch in this scenario: restore the original set at the end
        used = ctx.quirks_used = set()
        before = frozenset(cpe.quirks)
        device = ctx.device

        async def restore_quirks() -> None:
            await _no_session(ctx)
            set_client_quirks(device, before)
            acs = getattr(ctx.target, "acs", None)
            if "parameter-key-frozen" in used - before and acs is not None:
                # The client kept a stale ParameterKey on purpose; the ACS forgets what it
                # expected (as after a BOOTSTRAP) so later scenarios are not judged on it.
                known = acs.known_device(device.acs_id)
                if known is not None:
                    known.expected_parameter_key = None

        ctx.cleanups.append(restore_quirks)
    used.update(wanted)
    await _no_session(ctx)
    set_client_quirks(ctx.device, wanted)


@step("cpe_version", value="str", needs=fs("emulator"))
async def cpe_version(ctx: Context, st: Step) -> None:
    """Pin the device's CWMP runtime (a printer's embedded client or the proxy's virtual
    device) to offer at most this version from its next session on, as firmware that stops
    at it would; restored when the scenario ends. A third-party CPE cannot be pinned: the
    scenario is then not applicable."""

    version = str(ctx.subst(st.args["_"]))
    if version not in m.ALL_VERSIONS:
        raise StepFailed(f"not a CWMP version: {version!r} (known: {', '.join(m.ALL_VERSIONS)})")
    cpe = _client(ctx)
    before = (cpe.config.cwmp_version, cpe.version_cap)

    async def restore_version() -> None:
        await _no_session(ctx)
        cpe.config.cwmp_version, cpe.version_cap = before

    ctx.cleanups.append(restore_version)
    await _no_session(ctx)
    cpe.config.cwmp_version = version
    cpe.version_cap = version


@step("acs_versions", value="list|none", needs=fs("acs"))
async def acs_versions(ctx: Context, st: Step) -> None:
    """The CWMP versions our stub ACS offers this device from now on (UseCWMPVersion is the
    highest common one; none in common → fault 8006); null offers all again. Restored when
    the scenario ends."""

    acs = ctx.need_acs()
    known = acs.known_device(ctx.device.acs_id)
    if known is None:
        raise StepFailed("the device is not known to the ACS yet")
    value = st.args.get("_")
    versions = None if value is None else tuple(str(v) for v in value)
    bad = [v for v in versions or () if v not in m.ALL_VERSIONS]
    if bad:
        raise StepFailed(f"not CWMP versions: {bad} (known: {', '.join(m.ALL_VERSIONS)})")
    before = known.cwmp_versions
    known.cwmp_versions = versions

    def restore() -> None:
        known.cwmp_versions = before

    ctx.cleanups.append(restore)


def envelope_json(entry: dict[str, Any]) -> dict[str, Any]:
    """One journal entry as the ``envelopes`` step shows it: method, namespace, headers."""

    out: dict[str, Any] = {
        "ref": entry["ref"],
        "direction": entry["direction"],
        "method": entry.get("method") or "",
        "http_status": entry.get("http_status"),
        "session": entry.get("session"),
        "body": entry.get("body") or "",
    }
    body = (entry.get("body") or "").encode("utf-8")
    env = None
    if body.strip():
        try:
            env = soap.decode(body)
        except Exception as exc:  # the judge reports undecodable envelopes
            out["error"] = str(exc)
    for key in (
        "namespace",
        "id",
        "hold_requests",
        "no_more_requests",
        "session_timeout",
        "supported_cwmp_versions",
        "use_cwmp_version",
    ):
        value = getattr(env, key, None) if env is not None else None
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


@step(
    "envelopes",
    value="none",
    keys=fs("direction", "method", "expect", "save"),
    matchers=("expect",),
    needs=fs("acs"),
)
async def envelopes(ctx: Context, st: Step) -> None:
    """The envelopes exchanged with this device since the scenario started (``direction``
    ``cpe->acs`` / ``acs->cpe``, ``method`` filter), as a list of {method, namespace, id,
    hold_requests, no_more_requests, session_timeout, supported_cwmp_versions,
    use_cwmp_version, http_status, body}; ``expect`` is a matcher on that list (absent
    headers are null)."""
    want = {k: st.args[k] for k in ("direction", "method") if k in st.args}
    entries = [
        envelope_json(e)
        for e in ctx.journal(ctx.start_ref)
        if e["kind"] == "http"
        and (e.get("body") or "").strip()  # an empty POST or 204 is no envelope
        and all(e.get(k) == v for k, v in want.items())
    ]
    if "expect" in st.args:
        summary = [{k: e[k] for k in e if k != "body"} for e in entries]
        why = match(ctx.subst(st.args["expect"]), entries)
        if why is not None:
            raise StepFailed(f"envelopes {want}: {why} (seen: {str(summary)[:600]})")
    if "save" in st.args:
        ctx.vars[st.args["save"]] = entries


@step("client", value="str", keys=fs("expect", "save"), matchers=("expect",))
async def client(ctx: Context, st: Step) -> None:
    """Read an attribute of the in-process CWMP client behind the device
    (``negotiated_version``, ``version_cap``, ``quirks``, ``sessions``, ``failed_sessions``);
    skipped for third-party CPEs."""
    name = st.args["_"]
    if name not in CLIENT_ATTRIBUTES:
        raise StepFailed(f"client takes one of {', '.join(CLIENT_ATTRIBUTES)}")
    cpe = _client(ctx)

    def read() -> Any:
        value = getattr(cpe, name)
        return sorted(value) if isinstance(value, frozenset | set | tuple) else value

    value = read()
    if "expect" in st.args:
        want = ctx.subst(st.args["expect"])

        def settled() -> bool:
            try:
                check(want, read(), f"client {name}")
            except StepFailed:
                return False
            return True

        # The proxy's clients run on the proxy's own thread: the ACS may have closed the
        # session a moment before that thread has handled its last message. Give it 2 s.
        await ctx.until(settled, 2.0)
        value = read()
        check(want, value, f"client {name}")
    if "save" in st.args:
        ctx.vars[st.args["save"]] = value
