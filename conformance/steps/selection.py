"""Which parameters a scenario loops over, and what value to write to a writable one.

The mapping table (datamodel/mapping.yaml) names every parameter the proxy serves; the
generated data model names every parameter a CPE may have. Template paths (``{i}``) are
matched against the names a device actually has, so tables with no rows on a given printer
(no finisher on a desktop laser) show as "n/a" in the matrix rather than as failures.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from printbench.conformance.steps.base import StepFailed, rpc_call, values_of
from printbench.datamodel.mapping import load_mapping

if TYPE_CHECKING:
    from printbench.conformance.engine import Context

PS_TEMPLATE = "Device.Services.PrintService.{i}."
PS = "Device.Services.PrintService.1."


@cache
def _mapping_rows() -> tuple[tuple[str, bool], ...]:

    mapping = load_mapping()
    return tuple((row.path, row.writable) for row in mapping.rows)


def short(path: str) -> str:
    """``PS.`` form of a template path, for report rows."""
    return path.replace(PS_TEMPLATE, "PS.").replace(PS, "PS.")


def _regex(template: str) -> re.Pattern[str]:
    parts = template.replace(PS_TEMPLATE, PS).split("{i}")
    return re.compile(r"\d+".join(re.escape(p) for p in parts) + r"\Z")


def mapped_names(select: str, names: set[str]) -> dict[str, list[str]]:
    """``{short template path: [instance names the device has]}`` for the mapping rows."""
    if select not in ("mapping", "mapping-writable"):
        raise ValueError(f"select {select!r}: expected mapping or mapping-writable")
    out: dict[str, list[str]] = {}
    for path, writable in _mapping_rows():
        if select == "mapping-writable" and not writable:
            continue
        rx = _regex(path)
        out[short(path)] = sorted((n for n in names if rx.match(n)), key=_natural)
    return out


def _natural(name: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


async def loop_items(ctx: Context, what: str) -> list[str]:
    """Concrete parameter names for ``for_each``: one instance per mapping row or per DM
    parameter the device reports under the PrintService object."""

    response, fault = await rpc_call(ctx, "GetParameterValues", {"parameter_names": [PS]})
    if fault is not None:
        raise StepFailed(f"GetParameterValues {PS}: fault {fault.fault_code}")
    names = set(values_of(response))
    if what == "datamodel":
        return sorted(names, key=_natural)
    rows = mapped_names(what, names)
    return [v[0] for v in rows.values() if v]


#: Values of the right form for parameters whose type is a plain string but whose printer
#: accepts only some values (an IANA zone, an address, one of its fonts...). A printer may
#: refuse any value it does not support (TR-069 fault 9007), so the step tries these in turn
#: and only fails when the printer refuses them all or accepts one and does not show it.
#: Addresses are RFC 5737 documentation addresses; no printer on the bench reaches them.
SAMPLES: dict[str, tuple[str, ...]] = {
    "TimeZone": ("Europe/Paris", "America/New_York", "UTC"),
    "DNSServers": ("192.0.2.53", "192.0.2.54"),
    "WINSServer": ("192.0.2.9", "192.0.2.10"),
    "IPv4Address": ("192.0.2.77", "192.0.2.78"),
    "DefaultGateway": ("192.0.2.254", "192.0.2.1"),
    "SubnetMask": ("255.255.0.0", "255.255.255.0"),
    "NTPServer": ("ntp.example.net", "time.example.org"),
    "Server": ("smtp.example.net", "mail.example.org"),
    "HostName": ("printbench-check", "printbench-check-2"),
    "From": ("printer@example.net", "printbench@example.org"),
    "Recipients": ("ops@example.net", "printbench@example.org"),
    "TrapDestinations": ("192.0.2.1:162", "192.0.2.2:162"),
    "ReadCommunity": ("public2", "public3"),
    "WriteCommunity": ("private2", "private3"),
    "Events": ("jam", "supplyLow"),
    "PSPaperSelect": ("auto", "manual"),
    "PCLFont": ("Courier", "Univers", "Arial"),
    "PCLSymbolSet": ("PC-8", "Roman-8"),
    "OwnerVCard": (
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Printbench Check\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Printbench Check 2\r\nEND:VCARD\r\n",
    ),
    # resolutions most printers support; both axes are written together (COUPLED)
    "CrossFeedDir": ("600", "300", "1200", "2400"),
    "FeedDir": ("600", "300", "1200", "2400"),
}

#: Parameters that only make sense changed together, written in one SetParameterValues
#: with the same candidate: most printers support only square resolutions (600x600 dpi),
#: so changing one axis alone is a value the printer rightly refuses (9007).
COUPLED = (("Resolution.CrossFeedDir", "Resolution.FeedDir"),)

#: Written after the others and restored before them: a switch that needs its companion
#: value set first (WINS on needs a WINS server), and communities that the CPE's own
#: SNMP access may depend on.
LAST = re.compile(r"(Enable|Community)$")

#: The settings a manager reaching the printer over SNMP v1/v2c (the proxy) depends on: while
#: one is changed it cannot read the printer, and every read waits for a timeout. Written
#: last of all and restored first, so that state lasts as short as possible.
ACCESS = re.compile(r"SNMP\.(V1V2cEnable|ReadCommunity|WriteCommunity)$")


def new_value(ptype: Any, old: str, name: str) -> str | None:
    """A different valid value for a writable parameter (None: no safe choice)."""
    values = candidates(ptype, old, name)
    return values[0] if values else None


def candidates(ptype: Any, old: str, name: str) -> list[str]:
    """Different values to try, in order, for a writable parameter ([]: no safe choice)."""
    base = getattr(ptype, "base", "string")
    enums = getattr(ptype, "enumerations", ()) or ()
    leaf = name.rsplit(".", 1)[-1]

    def valid(v: str) -> bool:
        return v != old and (ptype is None or not hasattr(ptype, "is_valid") or ptype.is_valid(v))

    if enums:
        return [e for e in enums if e != old][:3]
    if leaf in SAMPLES:
        return [v for v in SAMPLES[leaf] if valid(v)]
    if base == "boolean":
        return ["false" if old.lower() in ("true", "1") else "true"]
    if base in ("int", "unsignedInt", "long", "unsignedLong"):
        try:
            value = int(old)
        except ValueError:
            value = 0
        out = [str(c) for c in dict.fromkeys((value + 1, value - 1, 1, 0)) if valid(str(c))]
        return out[:3]
    if base == "dateTime":
        return []
    maxlen = getattr(ptype, "max_length", None) or 64
    out = [c[:maxlen] for c in ("printbench-check", "printbench-check-2")]
    return [c for c in dict.fromkeys(out) if valid(c)][:1]
