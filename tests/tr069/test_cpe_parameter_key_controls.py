"""A ParameterKey with control characters (TP-181 5.7.3: tab, CR, LF and XML characters) is
kept by the embedded client and read back, without a traceback from mirroring it into the
printer's state (whose faces cannot carry control characters)."""

from __future__ import annotations

import logging

from printbench.cwmp import messages as m
from printbench.cwmp_cpe import FakeTime
from printbench.emulator.profiles import build_printer, load_profile
from printbench.emulator.tr069.client import EmbeddedClient

KEY = "k\t<1>&\r\nq"


def test_control_characters_in_parameter_key_are_kept_without_an_error(caplog) -> None:
    t = FakeTime()
    state = build_printer(load_profile("mono-desktop-laser"), seed=1, clock=t, host="127.70.9.2")
    client = EmbeddedClient(state, None, t, host="127.70.9.2")
    client.tree.listeners.append(client._tree_changed)
    with caplog.at_level(logging.INFO):
        status = client.tree.set_parameter_values(
            [m.ParameterValueStruct("Device.DeviceInfo.ProvisioningCode", "x")], KEY
        )
    assert status in (0, 1)
    assert client.tree.parameter_key == KEY
    got = {
        p.name: p.value
        for p in client.tree.get_parameter_values(["Device.ManagementServer.ParameterKey"])
    }
    assert got["Device.ManagementServer.ParameterKey"] == KEY
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    # a key the faces can carry is still mirrored
    client.tree.set_parameter_values(
        [m.ParameterValueStruct("Device.DeviceInfo.ProvisioningCode", "y")], "plain-key"
    )
    assert state.management.parameter_key == "plain-key"
