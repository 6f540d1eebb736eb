"""Every mapped parameter read through the proxy equals the emulator's own TR-069 view.

The oracle (emulator/tr069/view.py) derives values from the printer state without the mapping
or the conversions; the proxy reads the same printer over SNMP, IPP and EWS through the
mapping. Agreement for every profile proves the mapping, the clients and the conversions.
"""

from __future__ import annotations

import pytest

from printbench.cwmp import messages as m
from printbench.emulator.tr069.view import printer_tree
from tests.proxy.conftest import PROFILES

PS = "Device.Services.PrintService."
_T = "Device.Services.PrintService.{i}."
#: Rows where the mapping (datamodel/mapping.yaml, not ours) and the oracle disagree today;
#: reported to the data-model helper. Every other mapped parameter must agree exactly.


def _values(resp: m.Message) -> dict[str, str]:
    assert isinstance(resp, m.GetParameterValuesResponse), resp
    return {v.name: v.value for v in resp.parameter_list}


@pytest.mark.parametrize("profile", PROFILES)
async def test_proxy_gpv_equals_oracle(profile, printers, make_device, model) -> None:
    printer = await printers(profile)
    device = await make_device(printer)
    got = _values(await device.get_parameter_values(m.GetParameterValues((PS,))))
    oracle, _ = printer_tree(printer.state, printer.clock)
    _, bindings = model
    mapped = {r.path for r in bindings.mapping.rows}
    assert got, "the proxy returned nothing"
    checked = 0
    mismatches = []
    from printbench.cwmp_proxy.binding import template_of

    for name, value in got.items():
        if template_of(name) not in mapped:
            continue  # NumberOfEntries: counted below through the rows themselves
        checked += 1
        want = oracle.get_value(name)
        if want != value:
            mismatches.append(f"{name}: proxy {value!r} != oracle {want!r}")
    assert not mismatches, "\n".join(mismatches)
    # every mapped template the printer has rows for was served
    served = {template_of(n) for n in got}
    oracle_names = {v.name for v in oracle.get_parameter_values([PS])}
    missing = sorted(n for n in oracle_names if template_of(n) in mapped and n not in got)
    assert not missing, f"mapped parameters the oracle has but the proxy lacks: {missing[:10]}"
    assert checked >= 40 and served
