"""Fixtures for the SNMP face: a color-laser-mfp printer on a fake clock, served by an agent
on a loopback address of 127.20.0.0/16 with an ephemeral port."""

from __future__ import annotations

import pytest

from printbench.emulator.snmp.agent import SnmpAgent
from printbench.emulator.snmp.mib import MibDevice
from tests.snmp.snmp_support import Device, Served, make_device, next_host


@pytest.fixture
def device() -> Device:
    return make_device()


@pytest.fixture
def mib(device: Device) -> MibDevice:
    m = MibDevice(device.state, device.clock, device.engine)
    yield m
    m.close()


@pytest.fixture
async def served(device: Device) -> Served:
    agent = SnmpAgent()
    host, port = await agent.add_device(device, next_host(), 0)
    yield Served(agent, device, host, port)
    await agent.close()
