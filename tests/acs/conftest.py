"""Fixtures for the stub ACS tests: a running ACS on an ephemeral port and scripted CPEs.

The scripted CPE is a real HTTP client (aiohttp) speaking through the cwmp codec and the
cwmp CPE session machine, so the ACS is exercised over the wire exactly as a device would.
Rule-breaking CPEs post hand-built envelopes with ``ScriptedCpe.post``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

import aiohttp
import pytest

from printbench.acs_stub.control import AcsControl
from printbench.acs_stub.server import AcsConfig
from printbench.cwmp import messages as m
from printbench.cwmp import soap
from printbench.cwmp.session import (
    BadRequestReceived,
    CpeSession,
    EmptyResponseReceived,
    FaultReceived,
    InformAccepted,
    RequestReceived,
    ResponseReceived,
    RetryRequested,
    SessionEnded,
)

OUI = "00AA11"
PRODUCT = "LaserPrinter"

_serials = itertools.count(1)


def forced_params(**overrides: str) -> dict[str, str]:
    params = {
        "Device.RootDataModelVersion": "2.17",
        "Device.DeviceInfo.HardwareVersion": "HW1",
        "Device.DeviceInfo.SoftwareVersion": "1.0.0",
        "Device.DeviceInfo.ProvisioningCode": "",
        "Device.ManagementServer.ParameterKey": "",
        "Device.ManagementServer.ConnectionRequestURL": "http://127.60.0.1:7547/cr",
        "Device.ManagementServer.AliasBasedAddressing": "false",
    }
    params.update(overrides)
    return params


def make_inform(
    serial: str,
    events: Iterable[tuple[str, str] | str] = ("2 PERIODIC",),
    params: dict[str, str] | None = None,
    retry_count: int = 0,
    max_envelopes: int = 1,
    current_time: datetime | None = None,
) -> m.Inform:
    evs = tuple(
        m.EventStruct(e, "") if isinstance(e, str) else m.EventStruct(e[0], e[1]) for e in events
    )
    values = forced_params() if params is None else params
    return m.Inform(
        device_id=m.DeviceIdStruct("ACME", OUI, PRODUCT, serial),
        event=evs,
        max_envelopes=max_envelopes,
        current_time=current_time or datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
        retry_count=retry_count,
        parameter_list=tuple(m.ParameterValueStruct(k, v) for k, v in values.items()),
    )


def device_id(serial: str) -> str:
    return f"{OUI}-{PRODUCT}-{serial}"


def new_serial() -> str:
    return f"SN{next(_serials):05d}"


def cpe_headers(body: bytes) -> dict[str, str | None]:
    """Content-Type and SOAPAction as TR-069 §3.4.1 wants them for ``body``."""
    hdrs: dict[str, str | None] = {"Content-Type": "text/xml; charset=utf-8"} if body else {}
    action = soap.soap_action(body)
    if action is not None:
        hdrs["SOAPAction"] = action
    return hdrs


class Answers:
    """A well-behaved CPE's answers to every CPE method (state kept in ``values``)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = dict(forced_params())
        self.instances = itertools.count(1)

    def __call__(self, req: m.Message) -> m.Message:
        if isinstance(req, m.GetParameterValues):
            names = [
                n
                for n in self.values
                if any(n == p or (p.endswith(".") and n.startswith(p)) for p in req.parameter_names)
            ]
            if not names:
                return m.Fault.of(9005)
            return m.GetParameterValuesResponse(
                tuple(m.ParameterValueStruct(n, self.values[n]) for n in names)
            )
        if isinstance(req, m.SetParameterValues):
            for p in req.parameter_list:
                self.values[p.name] = p.value
            self.values["Device.ManagementServer.ParameterKey"] = req.parameter_key
            return m.SetParameterValuesResponse(0)
        if isinstance(req, m.AddObject):
            self.values["Device.ManagementServer.ParameterKey"] = req.parameter_key
            return m.AddObjectResponse(next(self.instances), 0)
        if isinstance(req, m.DeleteObject):
            self.values["Device.ManagementServer.ParameterKey"] = req.parameter_key
            return m.DeleteObjectResponse(0)
        if isinstance(req, m.GetParameterNames):
            return m.GetParameterNamesResponse(
                tuple(
                    m.ParameterInfoStruct(n, False)
                    for n in self.values
                    if n.startswith(req.parameter_path)
                )
            )
        if isinstance(req, m.GetParameterAttributes):
            return m.GetParameterAttributesResponse(
                tuple(m.ParameterAttributeStruct(n, 0) for n in req.parameter_names)
            )
        if isinstance(req, m.Download):
            return m.DownloadResponse(status=1)
        if isinstance(req, m.Upload):
            return m.UploadResponse(status=1)
        if isinstance(req, m.GetRPCMethods):
            return m.GetRPCMethodsResponse(tuple(c.METHOD for c in m.CPE_METHODS))
        if isinstance(req, m.GetQueuedTransfers):
            return m.GetQueuedTransfersResponse(())
        if isinstance(req, m.GetAllQueuedTransfers):
            return m.GetAllQueuedTransfersResponse(())
        if isinstance(req, m.GetOptions):
            return m.GetOptionsResponse(())
        response = req.RESPONSE
        return response()


class ScriptedCpe:
    """One CPE: an aiohttp client with its own cookie jar."""

    def __init__(self, url: str, serial: str | None = None, *, ssl=None) -> None:
        self.url = url
        self.serial = serial or new_serial()
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=aiohttp.TCPConnector(ssl=ssl) if ssl is not None else None,
        )
        #: Sent with every POST (e.g. a Basic Authorization header).
        self.headers: dict[str, str] = {}
        self.answers = Answers()
        self.log: list[object] = []

    @property
    def device_id(self) -> str:
        return device_id(self.serial)

    async def close(self) -> None:
        await self.http.close()

    async def post(self, body: bytes | str, headers: dict[str, str | None] | None = None):
        """POST ``body`` with the headers a correct CPE sends; ``headers`` adds to them or,
        with a None value, leaves one out."""
        hdrs = cpe_headers(body.encode() if isinstance(body, str) else body)
        hdrs.update(self.headers)
        hdrs.update(headers or {})
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        async with self.http.post(self.url, data=body, headers=hdrs) as resp:
            data = await resp.read()
            return resp.status, data, resp.headers

    async def send(
        self, message: m.Message | None, *, id: str | None = "c1", namespace: str = m.CWMP_1_2
    ):
        """Post one hand-built envelope; returns (status, decoded envelope or None, raw)."""
        body = (
            b"" if message is None else soap.encode(m.Envelope(message, id=id, namespace=namespace))
        )
        status, data, _ = await self.post(body)
        env = (
            soap.decode(data)
            if data.strip() and status in (200, 400) and data.lstrip().startswith(b"<")
            else None
        )
        return status, env, data

    def inform(self, **kw) -> m.Inform:
        return make_inform(self.serial, **kw)

    async def session(
        self,
        inform: m.Inform | None = None,
        *,
        requests: Iterable[m.Message] = (),
        handler: Callable[[m.Message], m.Message] | None = None,
        namespace: str = m.CWMP_1_2,
        on_event: Callable[[object, CpeSession], None] | None = None,
    ) -> list[object]:
        """A whole session through the cwmp CPE machine; returns the machine's events."""
        machine = CpeSession(namespace=namespace)
        for r in requests:
            machine.queue_request(r)
        handler = handler or self.answers
        events: list[object] = []
        body = machine.start(inform or self.inform(), 0.0)
        while True:
            hdrs = cpe_headers(body)
            hdrs.update(self.headers)
            async with self.http.post(self.url, data=body, headers=hdrs) as resp:
                data = await resp.read()
                status = resp.status
            if status not in (200, 204):
                ev = machine.fail(f"HTTP {status}")
                events.append(ev)
                return events
            ev = machine.receive(status, data, 0.0)
            events.append(ev)
            if on_event is not None:
                on_event(ev, machine)
            if isinstance(ev, SessionEnded) or (isinstance(ev, FaultReceived) and machine.ended):
                return events
            if isinstance(ev, RequestReceived):
                body = machine.respond(handler(ev.request), 0.0)
            elif isinstance(ev, BadRequestReceived):
                body = machine.respond(ev.fault, 0.0)
            elif isinstance(
                ev,
                InformAccepted
                | ResponseReceived
                | FaultReceived
                | RetryRequested
                | EmptyResponseReceived,
            ):
                body = machine.next_post(0.0)
            else:  # pragma: no cover
                raise AssertionError(ev)


@pytest.fixture
async def acs(tmp_path):
    control = await AcsControl.start(
        AcsConfig(host="127.0.0.1", port=0, control_port=0, journal_dir=tmp_path)
    )
    yield control
    await control.stop()


@pytest.fixture
async def make_cpe(acs):
    made: list[ScriptedCpe] = []

    def factory(serial: str | None = None, **kw) -> ScriptedCpe:
        cpe = ScriptedCpe(acs.server.cwmp_url, serial, **kw)
        made.append(cpe)
        return cpe

    yield factory
    for cpe in made:
        await cpe.close()


ScriptedCpe.forced_params = staticmethod(forced_params)  # type: ignore[attr-defined]


@pytest.fixture
async def make_cpe_for():
    """``make_cpe_for(acs_control, serial)``: a ScriptedCpe for an ACS the test started."""
    made: list[ScriptedCpe] = []

    def factory(control, serial: str | None = None, **kw) -> ScriptedCpe:
        cpe = ScriptedCpe(control.server.cwmp_url, serial, **kw)
        made.append(cpe)
        return cpe

    yield factory
    for cpe in made:
        await cpe.close()
