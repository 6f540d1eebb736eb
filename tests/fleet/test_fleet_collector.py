"""A fleet builds its printers with the cyclic collector paused, then hands it back.

Why: generation-2 passes over thousands of long-lived printers took half the start-up CPU
(emulator/fleet/fleet.py ``_collector_paused``). The risk of that speed-up is a worker left
with its collector off (memory of every later session's cycles never freed) or the build's
garbage frozen with the printers; this checks neither happens, including when a start fails.
"""

from __future__ import annotations

import gc

import pytest

from printbench.emulator.device import Ports
from printbench.emulator.fleet.fleet import Fleet, FleetConfig, FleetError
from printbench.emulator.fleet.plan import Layout
from tests.fleet.test_fleet_snmp_wildcard import free_udp_port


async def test_the_collector_is_on_again_and_the_printers_frozen_after_start() -> None:
    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()
    port = free_udp_port()
    fleet = Fleet(FleetConfig(count=20, layout=Layout("127.100.64.1", Ports(snmp=port)),
                              faces=("snmp",), snmp_sockets="wildcard"))  # fmt: skip
    await fleet.start()
    try:
        assert gc.isenabled()
        assert gc.get_freeze_count() > frozen_before  # the printers left the scanned generations
        gc.collect()  # and the collector still works for what comes after
    finally:
        await fleet.stop(persist=False)
        gc.unfreeze()


async def test_a_start_that_fails_while_building_leaves_the_collector_on() -> None:
    port = free_udp_port()
    fleet = Fleet(FleetConfig(count=3, layout=Layout("127.100.65.1", Ports(snmp=port)),
                              mix=(("no-such-printer-model", 1.0),),
                              faces=("snmp",), snmp_sockets="wildcard"))  # fmt: skip
    with pytest.raises(FleetError, match="no-such-printer-model"):
        await fleet.start()
    assert gc.isenabled()
    gc.unfreeze()
