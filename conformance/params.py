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

if TYPE_CHECKING:
    from conformance.engine import Context

PS_TEMPLATE = "Device.Services.PrintService.{i}."
PS = "Device.Services.PrintService.1."


@cache
def _mapping_rows() -> tuple[tuple[str, bool], ...]:
    from datamodel.mapping import load_mapping

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
    from conformance.steps import StepFailed, _rpc, values_of

    response, fault = await _rpc(ctx, "GetParameterValues", {"parameter_names": [PS]})
    if fault is not None:
        raise StepFailed(f"GetParameterValues {PS}: fault {fault.fault_code}")
    names = set(values_of(response))
    if what == "datamodel":
        return sorted(names, key=_natural)
    rows = mapped_names(what, names)
    return [v[0] for v in rows.values() if v]


def new_value(ptype: Any, old: str, name: str) -> str | None:
    """A different valid value for a writable parameter (None: no safe choice)."""
    base = getattr(ptype, "base", "string")
    enums = getattr(ptype, "enumerations", ()) or ()
    if enums:
        others = [e for e in enums if e != old]
        return others[0] if others else None
    if base == "boolean":
        return "false" if old.lower() in ("true", "1") else "true"
    if base in ("int", "unsignedInt", "long", "unsignedLong"):
        try:
            value = int(old)
        except ValueError:
            value = 0
        for candidate in (value + 1, value - 1, 1, 0):
            if ptype is None or ptype.is_valid(str(candidate)):
                return str(candidate)
        return None
    if base == "dateTime":
        return None
    maxlen = getattr(ptype, "max_length", None) or 64
    if name.endswith("OwnerVCard"):
        candidate = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Printbench Check\r\nEND:VCARD\r\n"
    else:
        candidate = "printbench-check" if old != "printbench-check" else "printbench-check-2"
    candidate = candidate[:maxlen]
    if ptype is not None and hasattr(ptype, "is_valid") and not ptype.is_valid(candidate):
        return None
    return candidate
