"""Fixtures for the CWMP proxy tests: virtual printers on 127.80.x.y with ephemeral ports,
and proxy devices over them (no mocks: the printers' real SNMP, IPP and EWS faces)."""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from printbench.common.clock import FakeClock
from printbench.cwmp_proxy.inventory import PrinterEntry
from printbench.cwmp_proxy.model import Identity, ModelConfig, build_model
from printbench.cwmp_proxy.proxy import ProxyConfig
from printbench.cwmp_proxy.virtual_device import PrinterDevice
from printbench.emulator.device import Ports, VirtualPrinter

_HOSTS = itertools.count(1)
PROFILES = sorted(p.removesuffix(".yaml") for p in os.listdir("profiles") if p.endswith(".yaml"))


def next_host() -> str:
    n = next(_HOSTS) + (os.getpid() % 100) * 400
    return f"127.80.{n // 250 % 256}.{n % 250 + 1}"


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


#: ConnectionRequestUsername/Password of the proxies under test: a CPE with none accepts no
#: Connection Request (TR-069 §3.2.2, it MUST authenticate the ACS).
CR_USER, CR_PASSWORD = "acs", "cr-secret"


def proxy_config(acs: Any, **kw: Any) -> ProxyConfig:
    """A ProxyConfig for the in-process stub ACS: ephemeral CR port, the credentials the
    tests' ACS uses for connection requests, short printer timeouts, no retries."""
    settings: dict[str, Any] = {
        "acs_url": acs.server.cwmp_url,
        "cr_port": 0,
        "cr_username": CR_USER,
        "cr_password": CR_PASSWORD,
        "timeout": 0.5,
        "retries": 0,
    }
    return ProxyConfig(**{**settings, **kw})


def entry_for(printer: VirtualPrinter, **kw: Any) -> PrinterEntry:
    ep = printer.endpoints
    kw.setdefault("ipp_uri", ep["ipp"])
    kw.setdefault("ews_url", ep["ews"])
    return PrinterEntry(printer.host, snmp_port=_port(ep["snmp"]), **kw)


@pytest.fixture(scope="session")
def model() -> tuple[Any, Any]:
    return build_model(ModelConfig(acs_url="http://127.0.0.1:9/"))


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as s:
        yield s


@pytest.fixture
async def printers() -> AsyncIterator[Any]:
    started: list[VirtualPrinter] = []

    async def start(profile: str = "color-laser-mfp", seed: int = 1) -> VirtualPrinter:
        p = VirtualPrinter(
            profile, host=next_host(), seed=seed, clock=FakeClock(), ports=Ports.ephemeral()
        )
        await p.start(faces=("snmp", "ipp", "ews"), drive=False)
        started.append(p)
        return p

    yield start
    for p in started:
        await p.stop()


@pytest.fixture
def make_device(model: Any, http: aiohttp.ClientSession) -> Any:
    dm, bindings = model

    async def make(printer: VirtualPrinter, **kw: Any) -> PrinterDevice:
        timeout = kw.pop("timeout", 1.0)
        retries = kw.pop("retries", 0)
        d = PrinterDevice(
            entry_for(printer, **kw),
            dm,
            bindings,
            http,
            proxier=Identity(oui="000000", product_class="CWMPProxy", serial_number="test"),
            timeout=timeout,
            retries=retries,
        )
        await d.discover()
        return d

    return make
