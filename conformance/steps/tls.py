"""Steps for CWMP over TLS, certificates both ways (scenarios/tls.yaml; issue 15 item 6).

TP-181's Basic Setup has an "encrypted connection" procedure: the session runs over HTTPS.
What a printer's client must do there is TR-069 §3.3 (Amd 6, as read in translations; the
PDF is not here): authenticate the ACS by its certificate, validated against a trusted root,
with the ACS URL's host as the reference identifier (MUST), TLS 1.2 or later (SHOULD), the
host as SNI (SHOULD); TLS also lets the ACS authenticate the CPE by a certificate.

The built-in target has one stub ACS; this module gives it, on first use, a test PKI
(``common.pki``) and three more HTTPS listeners on the same endpoint: ``server`` (the ACS's
certificate, a client certificate verified when presented), ``mutual`` (a client certificate
from the test CA required) and ``wrong-host`` (a certificate from the same CA for another
host). Each device's CWMP runtime (the embedded client or the proxy's virtual device: the
same ``cwmp_cpe.Cpe``) trusts the test CA and gets a client certificate naming its
``OUI-SerialNumber``, issued on demand.

- ``tls: {listener, client_cert}``: the device's sessions go to that listener from its next
  session on, with ``client_cert`` ``own`` (default), ``wrong-subject``, ``untrusted`` or
  ``none``; ``listener: off`` (and the end of the scenario) puts it back on its usual URL.
- ``tls_session: {expect, save}``: a connection request, the session it starts, and the
  ACS's ``tls`` journal entry of it (listener, tls_version, cipher, sni,
  client_certificate, identity_ok); ``refused: true`` instead checks that no session came
  and the CPE counted a failed one (the TR-069 §3.2.1.1 retry table applies).

A third-party CPE cannot be switched this way: the scenarios are then not applicable.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from printbench.acs_stub.control import send_connection_request
from printbench.acs_stub.tls import server_context
from printbench.common.pki import PkiFiles, TestPki, build_pki, cpe_common_name, write_pki
from printbench.conformance.steps.base import StepFailed, StepSkipped, check, fs, step
from printbench.cwmp_cpe.certificates import install as install_certificates
from printbench.cwmp_cpe.http import ssl_context

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step

LISTENERS = ("server", "mutual", "wrong-host")
CLIENT_CERTS = ("own", "wrong-subject", "untrusted", "none")


@dataclass
class TlsBench:
    """The test PKI on disk and the stub ACS's HTTPS listeners of one target."""

    pki: TestPki
    files: PkiFiles
    urls: dict[str, str] = field(default_factory=dict)

    def client_files(self, oui: str, serial: str, kind: str) -> tuple[Path | None, Path | None]:
        cn = cpe_common_name(oui, serial)
        if kind == "none":
            return None, None
        if kind == "wrong-subject":
            return self.files.named("cpe-wrong-subject")
        if cn not in self.pki.cpes:
            self.pki.add_cpe(oui, serial)
            self.files = write_pki(self.pki, self.files.folder)
        if kind == "untrusted":
            return self.files.named(f"cpe-untrusted-{cn}")
        return self.files.cpe(cn)


async def tls_bench(ctx: Context) -> TlsBench:
    """The target's TLS bench, made on first use (one PKI and listener set per target)."""
    target = ctx.target
    bench: TlsBench | None = getattr(target, "_tls_bench", None)
    if bench is not None:
        return bench
    acs = ctx.need_acs()
    host = acs.server.config.host
    name = "localhost" if host == "127.0.0.1" else host  # a DNS name where one resolves
    folder = Path(tempfile.mkdtemp(prefix="printbench-pki-"))
    atexit.register(shutil.rmtree, folder, True)
    pki = build_pki(tuple(dict.fromkeys((name, host))))
    files = write_pki(pki, folder)
    bench = TlsBench(pki, files)
    contexts = {
        "server": server_context(files.acs_cert, files.acs_key, client_ca=files.ca),
        "mutual": server_context(
            files.acs_cert, files.acs_key, client_ca=files.ca, require_client=True
        ),
        "wrong-host": server_context(*files.named("acs-wrong-host"), client_ca=files.ca),
    }
    for listener, tls_ctx in contexts.items():
        port = await acs.server.add_tls_listener(listener, tls_ctx)
        bench.urls[listener] = f"https://{name}:{port}/"
    setattr(target, "_tls_bench", bench)  # noqa: B010  (one bench per target)
    return bench


def _runtime(ctx: Context) -> Any:
    cpe = ctx.device.cwmp_client() if hasattr(ctx.device, "cwmp_client") else None
    if cpe is None or not hasattr(cpe, "acs_transport"):
        raise StepSkipped(
            "the device's TLS settings cannot be switched by the bench (a third-party CPE: "
            "point it at the stub ACS's HTTPS listener and trust the test CA instead)"
        )
    return cpe


async def _between_sessions(ctx: Context) -> None:
    acs = ctx.need_acs()
    await ctx.until(lambda: acs.server.current_session(ctx.device.acs_id) is None, 10.0)


@step("tls", value="none", keys=fs("listener", "client_cert"), needs=fs("acs"))
async def tls(ctx: Context, st: Step) -> None:
    """Send the device's next sessions to one HTTPS listener of the stub ACS (``server``,
    ``mutual``, ``wrong-host``; ``off``: back to its usual URL) with ``client_cert`` ``own``,
    ``wrong-subject``, ``untrusted`` or ``none``; undone when the scenario ends."""
    listener = str(ctx.subst(st.args.get("listener", "server")))
    kind = str(ctx.subst(st.args.get("client_cert", "own")))
    if listener not in (*LISTENERS, "off"):
        raise StepFailed(f"listener takes one of {', '.join(LISTENERS)}, off")
    if kind not in CLIENT_CERTS:
        raise StepFailed(f"client_cert takes one of {', '.join(CLIENT_CERTS)}")
    cpe = _runtime(ctx)
    if not getattr(ctx, "tls_restore", False):
        before = cpe.acs_transport
        setattr(ctx, "tls_restore", True)  # noqa: B010  (one restore per scenario)

        async def restore() -> None:
            await _between_sessions(ctx)
            cpe.acs_transport = before
            install_certificates(cpe.tree, [cpe.config.client_cert])

        ctx.cleanups.append(restore)
    await _between_sessions(ctx)
    if listener == "off":
        cpe.acs_transport = None
        install_certificates(cpe.tree, [cpe.config.client_cert])
        return
    bench = await tls_bench(ctx)
    known = ctx.need_acs().known_device(ctx.device.acs_id)
    if known is None:
        raise StepFailed("the device is not known to the ACS yet")
    cert, key = bench.client_files(known.oui, known.serial_number, kind)
    # The CPE's own rule, quirks included (tls-no-hostname-check): cwmp_cpe.http.ssl_context
    check_host = "tls-no-hostname-check" not in cpe.quirks
    context = ssl_context(bench.files.ca, cert, key, check_hostname=check_host)
    cpe.acs_transport = (bench.urls[listener], context)
    install_certificates(cpe.tree, [cert])  # Device.Security.Certificate.{i}. shows it


@step(
    "tls_session",
    value="none",
    keys=fs("expect", "save", "refused"),
    matchers=("expect",),
    needs=fs("acs"),
)
async def tls_session(ctx: Context, st: Step) -> None:
    """A connection request, then: the session it started and the ACS's ``tls`` journal
    entry of it (``expect``/``save`` on {listener, tls_version, cipher, sni,
    client_certificate, identity_ok, identity}); with ``refused: true``, no session within
    15 s and the CPE's failed-session count up by one."""
    cpe = _runtime(ctx)
    acs = ctx.need_acs()
    if cpe.acs_transport is None:
        raise StepFailed("tls_session needs a tls step first (the device is not on TLS)")
    start = ctx.journal_ref()
    if st.args.get("refused"):
        failed = cpe.failed_sessions
        await ctx.target.prepare_connection_request(ctx.device)
        known = acs.known_device(ctx.device.acs_id)
        if known is None or not known.cr_url:
            raise StepFailed("the device has no ConnectionRequestURL at the ACS")
        status = await send_connection_request(known.cr_url, known.cr_credentials)
        check({"one_of": [200, 204]}, status, "connection request HTTP status")

        # 6 CONNECTION REQUEST is not retried after a failed session (TR-069 Table 7), so
        # the judge is not told to expect one.
        def arrived() -> list[dict[str, Any]]:
            seen = ctx.journal(start)  # the tls entries first: they name the listener
            return [e for e in seen if e["kind"] == "tls"] + [
                e for e in seen if e.get("method") == "Inform"
            ]

        await ctx.until(lambda: cpe.failed_sessions > failed or bool(arrived()), 15.0)
        got = arrived()
        if got:
            raise StepFailed(
                f"the session was to be refused, but the ACS got an Inform over TLS "
                f"(journal ref {got[0]['ref']}, listener "
                f"{(got[0].get('tls') or {}).get('listener', '?')})"
            )
        if cpe.failed_sessions <= failed:
            raise StepFailed("the CPE neither failed nor refused a session over this TLS setup")
        # The attempt ended in the TLS layer, before any Inform: the ACS's judge learns that
        # the last session failed, but not how many attempts it missed (RetryCount unknown).
        known.last_session_ok = False
        known.last_retry_count = None
        ctx.vars[st.args.get("save", "tls")] = {"refused": True}
        return
    await ctx.ensure_session(force=True)

    def entry() -> dict[str, Any] | None:
        found = [e for e in ctx.journal(start) if e["kind"] == "tls"]
        return found[-1] if found else None

    await ctx.until(lambda: entry() is not None, 5.0)
    last = entry()
    if last is None:
        raise StepFailed("a session started, but not over one of the ACS's TLS listeners")
    facts = dict(last["tls"] or {})
    cert = facts.get("client_certificate") or {}
    ctx.notes.append(  # into results.json and report.html, beside the journal's tls entry
        f"TLS {facts.get('tls_version')} on {facts.get('listener')} ({facts.get('cipher')}), "
        f"client certificate {cert.get('Subject') or 'none'}: {facts.get('identity')}"
    )
    if "expect" in st.args:
        check(ctx.subst(st.args["expect"]), facts, "TLS session")
    ctx.vars[st.args.get("save", "tls")] = facts
