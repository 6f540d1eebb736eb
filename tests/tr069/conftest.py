"""Fixtures for the TR-069 client tests: the stub ACS, a small generic CPE model, fake time.

The generic model (``small_tree``) exercises ``cwmp_cpe`` without the emulator, the way the
CWMP proxy will use it; printer tests build the real view of a virtual printer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import AcsConfig
from printbench.cwmp import params as P
from printbench.cwmp import schema, soap
from printbench.cwmp_cpe import Cpe, CpeConfig, FakeTime, MemoryStore

OUI = "0011AA"


def small_model() -> P.DataModel:
    dm = P.DataModel()
    D = "Device."
    dm.parameter(D + "RootDataModelVersion", "string", default="2.17", forced_inform=True)
    for name, value in (
        ("Manufacturer", "ACME"),
        ("ManufacturerOUI", OUI),
        ("ProductClass", "Printer"),
        ("SerialNumber", "SN0001"),
        ("HardwareVersion", "HW1"),
    ):
        dm.parameter(
            D + "DeviceInfo." + name,
            "string",
            default=value,
            forced_inform=name == "HardwareVersion",
        )
    dm.parameter(
        D + "DeviceInfo.SoftwareVersion",
        "string",
        default="1.0",
        forced_inform=True,
        active_notify="forceEnabled",
    )
    dm.parameter(
        D + "DeviceInfo.ProvisioningCode",
        "string",
        writable=True,
        forced_inform=True,
        active_notify="forceEnabled",
    )
    dm.parameter(D + "DeviceInfo.UpTime", "unsignedInt", active_notify="canDeny")
    ms = D + "ManagementServer."
    for name, typ, default in (
        ("EnableCWMP", "boolean", "true"),
        ("URL", "string", ""),
        ("Username", "string", ""),
        ("Password", "string", ""),
        ("PeriodicInformEnable", "boolean", "false"),
        ("PeriodicInformInterval", "unsignedInt", "3600"),
        ("PeriodicInformTime", "dateTime", "0001-01-01T00:00:00Z"),
        ("ConnectionRequestUsername", "string", "cruser"),
        ("ConnectionRequestPassword", "string", "crpass"),
        ("DefaultActiveNotificationThrottle", "unsignedInt", "0"),
        ("CWMPRetryMinimumWaitInterval", "unsignedInt", "5"),
        ("CWMPRetryIntervalMultiplier", "unsignedInt", "2000"),
    ):
        dm.parameter(ms + name, typ, writable=True, default=default)
    dm.parameter(ms + "ParameterKey", "string", get=P.parameter_key, forced_inform=True)
    dm.parameter(
        ms + "ConnectionRequestURL",
        "string",
        get=lambda nc: nc.tree.root["cr_url"],
        forced_inform=True,
        active_notify="forceDefaultEnabled",
    )
    dm.parameter(ms + "AliasBasedAddressing", "boolean", default="false", forced_inform=True)
    dm.table(ms + "InformParameter.{i}.", writable=True)
    dm.parameter(ms + "InformParameter.{i}.Enable", "boolean", writable=True)
    dm.parameter(ms + "InformParameter.{i}.ParameterName", "string", writable=True)
    dm.parameter(ms + "InformParameter.{i}.EventList", "string", writable=True)
    dm.parameter(
        D + "X_TEST_Level",
        "int",
        writable=True,
        get=lambda nc: nc.tree.root["level"],
        set=lambda nc, v: nc.tree.root.__setitem__("level", v),
    )
    return dm


MODEL = small_model()


def small_tree(url: str = "", **values: str) -> P.ParameterTree:
    root = {"cr_url": "", "level": 50}
    tree = P.ParameterTree(MODEL, root)
    tree.store["Device.ManagementServer.URL"] = url
    for k, v in values.items():
        tree.store["Device.ManagementServer." + k] = v
    return tree


def device_id() -> str:
    return f"{OUI}-Printer-SN0001"


@pytest.fixture
async def acs() -> AsyncIterator[AcsControl]:
    ctl = await AcsControl.start(AcsConfig(host="127.0.0.1", port=0, control_port=0))
    try:
        yield ctl
    finally:
        await ctl.stop()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def assert_valid(acs: AcsControl, allow=()) -> None:
    """Every envelope the CPE sent validates against the BBF XSD, and no rule was broken."""
    for e in acs.journal():
        if e.get("direction") != "cpe->acs" or not e.get("body"):
            continue
        body = e["body"].encode()
        env = soap.decode(body)
        errs = schema.validation_errors(body, schema.schema_for(env))
        assert not errs, (e.get("method"), errs)
    bad = [v for v in acs.verdicts() if not any(v.rule == r for r in allow)]
    assert not bad, [v.to_dict() for v in bad]


async def make_cpe(acs: AcsControl, t: FakeTime, *, store: MemoryStore | None = None, **cfg) -> Cpe:
    tree = small_tree(acs.server.cwmp_url, **cfg.pop("values", {}))
    cpe = Cpe(tree, CpeConfig(**cfg), clock=t, sleep=t.sleep, store=store or MemoryStore())
    return cpe


# -- virtual printers -----------------------------------------------------------------------


def printer_id(state) -> str:
    i = state.identity
    return f"{i.oui}-{i.product_class}-{i.serial_number}"


async def start_printer(acs, t: FakeTime, host: str, *, profile="color-laser-mfp", faces=("tr069",),
                        quirks=(), store=None, **mgmt):  # fmt: skip
    """A VirtualPrinter on fake time with its embedded client pointed at the stub ACS."""
    from printbench.emulator.device import Ports, VirtualPrinter

    vp = VirtualPrinter(profile, host=host, clock=t, acs_url=acs.server.cwmp_url,
                        ports=Ports.ephemeral())  # fmt: skip
    mg = vp.state.management
    mg.connection_request_username = "cr-user"
    mg.connection_request_password = "cr-secret"
    mg.quirks = tuple(quirks)
    for k, v in mgmt.items():
        setattr(mg, k, v)
    if store is not None:
        vp.tr069_store = store
    await vp.start(faces=faces, drive=False)
    acs.set_connection_request(printer_id(vp.state), username="cr-user", password="cr-secret")
    await t.advance(0, [vp.tr069.cpe.idle])
    return vp


def known_gaps(violations, allow=()) -> list:
    """Verdicts minus the stub ACS gaps a test names in ``allow`` as (rule, message part)."""
    return [
        v for v in violations if not any(v.rule == r and part in v.message for r, part in allow)
    ]


def assert_printer_valid(acs, allow=()) -> None:
    for e in acs.journal():
        if e.get("direction") != "cpe->acs" or not e.get("body"):
            continue
        body = e["body"].encode()
        env = soap.decode(body)
        errs = schema.validation_errors(body, schema.schema_for(env))
        assert not errs, (e.get("method"), errs)
    bad = known_gaps(acs.verdicts(), allow)
    assert not bad, [v.to_dict() for v in bad]
