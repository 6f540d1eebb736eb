"""The Inform of one session, built from the parameter tree and the event list (no I/O).

TR-069 A.3.3.1: the Inform carries the DeviceId, the events, the current time, RetryCount
and a ParameterList of the Forced Inform parameters, every changed parameter with
notification on (``4 VALUE CHANGE``) and the ``ManagementServer.InformParameter.{i}`` rows
whose EventList matches one of the events (TR-181 2.x).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from printbench.cwmp import messages as m
from printbench.cwmp import params as P
from printbench.cwmp.events import Event


def device_id(tree: P.ParameterTree, root: str) -> m.DeviceIdStruct:
    """DeviceIdStruct from ``<root>DeviceInfo.`` (missing values read as "")."""
    info = f"{root}DeviceInfo."

    def get(name: str) -> str:
        try:
            return tree.get_value(info + name)
        except P.ParameterFault:
            return ""

    return m.DeviceIdStruct(
        get("Manufacturer"), get("ManufacturerOUI"), get("ProductClass"), get("SerialNumber")
    )


def inform_parameters(tree: P.ParameterTree, root: str, codes: set[str]) -> list[str]:
    """``ManagementServer.InformParameter.{i}``: enabled rows whose EventList matches."""
    base = f"{root}ManagementServer.InformParameter."
    if not tree.exists(base):
        return []
    out = []
    try:
        rows = tree.get_parameter_names(base, True)
    except P.ParameterFault:
        return []
    for row in rows:
        try:
            vals = {
                v.name.rsplit(".", 1)[-1]: v.value for v in tree.get_parameter_values([row.name])
            }
        except P.ParameterFault:
            continue
        if vals.get("Enable", "false") not in ("true", "1") or not vals.get("ParameterName"):
            continue
        wanted = {e.strip() for e in vals.get("EventList", "").split(",") if e.strip()}
        if wanted and not wanted & codes:
            continue
        out.append(vals["ParameterName"])
    return out


def build_inform(
    tree: P.ParameterTree,
    *,
    root: str,
    events: Iterable[Event],
    changes: Iterable[P.ValueChange],
    device: m.DeviceIdStruct,
    now: datetime,
    retry_count: int,
) -> m.Inform:
    """The Inform for ``events`` and the pending value ``changes``."""
    events = list(events)
    codes = {e.code for e in events}
    values: dict[str, P.ParameterValue] = {}
    for v in tree.forced_inform_values():
        values[v.name] = v
    for ch in changes:
        values.setdefault(ch.name, P.ParameterValue(ch.name, ch.value, ch.xsi_type))
    for name in inform_parameters(tree, root, codes):
        if name not in values:
            try:
                got = tree.get_parameter_values([name])
            except P.ParameterFault:
                continue
            for v in got:
                values.setdefault(v.name, v)
    return m.Inform(
        device_id=device,
        event=tuple(m.EventStruct(e.code, e.command_key) for e in events),
        max_envelopes=1,
        current_time=now,
        retry_count=retry_count,
        parameter_list=tuple(
            m.ParameterValueStruct(v.name, v.value, v.xsi_type) for v in values.values()
        ),
    )
