"""Devices the stub ACS has seen, keyed by OUI-ProductClass-SerialNumber.

Why this key: it is the identity TR-069 gives a CPE in every Inform (DeviceIdStruct), and the
one GenieACS uses, so scenario files and the HTTP control API can name a device before it has
ever connected. Each part is percent-encoded (and ``-`` too) so the id is URL-safe and
unambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from printbench.acs_stub.rpc_queue import RpcQueue

CR_URL_PARAMS = (
    "Device.ManagementServer.ConnectionRequestURL",
    "InternetGatewayDevice.ManagementServer.ConnectionRequestURL",
)


def _part(text: str) -> str:
    return quote(text, safe="").replace("-", "%2D")


def device_key(oui: str, product_class: str, serial_number: str) -> str:
    """The URL-safe registry id of a CPE (``-`` inside a part is written ``%2D``)."""
    return f"{_part(oui)}-{_part(product_class)}-{_part(serial_number)}"


def split_device_key(key: str) -> tuple[str, str, str]:
    """Inverse of :func:`device_key`; ``ValueError`` if ``key`` has not three parts."""
    parts = key.split("-")
    if len(parts) != 3:
        raise ValueError(f"device id {key!r} is not OUI-ProductClass-SerialNumber")
    return unquote(parts[0]), unquote(parts[1]), unquote(parts[2])

#: Session ids a device keeps (its summary shows the last 20; issue 17: bounded in a soak).
SESSION_IDS_KEPT = 100
#: Inform events a device keeps, newest last (its summary shows the last 50; issue 17).
EVENTS_SEEN_KEPT = 200


@dataclass
class Credentials:
    username: str
    password: str


@dataclass
class Device:
    """What the ACS knows of one CPE, plus the scripting knobs that apply to it."""

    id: str
    manufacturer: str = ""
    oui: str = ""
    product_class: str = ""
    serial_number: str = ""
    last_inform: Any = None
    last_inform_at: datetime | None = None
    inform_count: int = 0
    params: dict[str, str] = field(default_factory=dict)
    events_seen: list[tuple[str, str]] = field(default_factory=list)
    cr_url: str | None = None
    cr_credentials: Credentials | None = None
    #: CPE→ACS authentication for this device (None: the server's global setting applies).
    auth_mode: str | None = None
    auth_credentials: Credentials | None = None
    queue: RpcQueue = field(default_factory=RpcQueue)
    #: Answer the next N CPE requests (Inform included) with fault 8005.
    retry_faults: int = 0
    #: The request last answered with 8005 (the CPE must send it again unchanged).
    retry_expected: Any = None
    #: Put HoldRequests=1 on the next InformResponse (once) / on every InformResponse.
    hold_on_inform: bool = False
    #: CWMP versions this ACS offers the device (None: all); UseCWMPVersion picks from them.
    cwmp_versions: tuple[str, ...] | None = None
    #: Download/Upload CommandKeys answered with Status 1 and not yet TransferComplete'd.
    outstanding_transfers: dict[str, str] = field(default_factory=dict)
    #: ChangeDUState CommandKeys answered with ChangeDUStateResponse and not yet
    #: DUStateChangeComplete'd, with their number of operations (one Result each).
    outstanding_du: dict[str, int] = field(default_factory=dict)
    #: ParameterKey sent in the last successful SPV/AddObject/DeleteObject, to check later.
    expected_parameter_key: str | None = None
    #: CommandKey of the last Reboot answered, expected as ``M Reboot`` in the next Inform.
    pending_reboot_key: str | None = None
    #: Connection Requests sent and not yet seen by an accepted Inform (callers that send
    #: one add 1 before sending and take it back if the CPE refused it).
    pending_connection_requests: int = 0
    #: Requests that an Inform without 6 CONNECTION REQUEST left over: that Inform may have
    #: been built before the request reached the CPE, so the next session may still claim
    #: them (once).
    cr_carried: int = 0
    #: The last 6 CONNECTION REQUEST session coalesced several requests; some may have reached
    #: the CPE after its Inform was built, so the next session may carry 6 as well (once).
    cr_extra_allowed: bool = False
    #: Connection Requests the CPE answered 2xx and then did not honour: the session after
    #: the one they were carried over to had no 6 CONNECTION REQUEST either (set by
    #: ``take_connection_request_credit``, read by the judge).
    cr_unhonoured: int = 0
    #: (cwmp:ID, RetryCount, CurrentTime) of the last Inform refused with 401: the same
    #: Inform again is the same attempt (a challenge answered), not a new one.
    last_refused_attempt: tuple | None = None
    #: Whether the previous session ended normally (for the RetryCount rule).
    last_session_ok: bool | None = None
    last_retry_count: int | None = None
    #: the last SESSION_IDS_KEPT sessions, oldest first (a soak runs thousands per device)
    session_ids: list[str] = field(default_factory=list)

    def take_connection_request_credit(self, has_event: bool) -> bool:
        """Account for the Connection Requests at an accepted Inform; True when one justifies
        ``6 CONNECTION REQUEST`` in it.

        A CPE coalesces requests: those arriving before it builds an Inform become one
        session with 6; those arriving during a session become one more session after it.
        The ACS sees only when it *sent* each request, so a request sent just before an
        Inform arrives may still belong to the next session. Rules: an Inform with 6 uses
        every request sent so far (and, if there were several, allows one more 6 session
        right after); an Inform without 6 passes the requests sent before it to the next
        session, once; requests still unclaimed after that one are ``cr_unhonoured``.
        """
        fresh, self.pending_connection_requests = self.pending_connection_requests, 0
        carried, self.cr_carried = self.cr_carried, 0
        extra, self.cr_extra_allowed = self.cr_extra_allowed, False
        self.cr_unhonoured = 0
        if not has_event:
            self.cr_carried = fresh
            self.cr_unhonoured = carried
            return False
        self.cr_extra_allowed = fresh + carried >= 2
        return fresh + carried > 0 or extra

    def summary(self) -> dict[str, Any]:
        """JSON-friendly view for the control API."""
        return {
            "id": self.id,
            "manufacturer": self.manufacturer,
            "oui": self.oui,
            "product_class": self.product_class,
            "serial_number": self.serial_number,
            "last_inform_at": self.last_inform_at.isoformat() if self.last_inform_at else None,
            "inform_count": self.inform_count,
            "events_seen": [list(e) for e in self.events_seen[-50:]],
            "connection_request_url": self.cr_url,
            "queued_rpcs": [q.method for q in self.queue.pending()],
            "sessions": list(self.session_ids[-20:]),
            "parameters": dict(self.params),
        }


class Registry:
    """All devices, created on first Inform or ahead of time by the control API."""

    def __init__(self, store: Any = None) -> None:
        self._devices: dict[str, Device] = {}
        #: acs_stub.store.AcsStore when the ACS persists (devices and queued RPCs)
        self.store = store

    def get(self, key: str) -> Device | None:
        return self._devices.get(key)

    def ensure(self, key: str) -> Device:
        """The device with ``key``, created empty if unknown (pre-provisioning by id)."""
        device = self._devices.get(key)
        if device is None:
            oui, pc, sn = split_device_key(key)
            device = Device(id=key, oui=oui, product_class=pc, serial_number=sn)
            self._devices[key] = device
            if self.store is not None:
                device.queue.bind(self.store, key)
                self.store.save_device(device)
        return device

    def save(self, device: Device) -> None:
        """Write ``device`` to the store (after an Inform, a credentials change)."""
        if self.store is not None:
            self.store.save_device(device)

    def restore(self) -> int:
        """Read back the stored devices and their unanswered RPCs (needs a running loop:
        each RPC gets a future); returns how many RPCs were queued again."""
        store = self.store
        if store is None:
            return 0
        for key, data in store.devices():
            if key not in self._devices:
                try:
                    oui, pc, sn = split_device_key(key)
                except ValueError:
                    continue
                device = Device(id=key, oui=oui, product_class=pc, serial_number=sn)
                device.queue.bind(store, key)
                self._devices[key] = device
            store.apply(self._devices[key], data, Credentials)
        count = 0
        for rpc_key, device_id, hold, request in store.rpcs():
            device = self.get(device_id) or self.ensure(device_id)
            device.queue.restore(rpc_key, request, hold_requests=hold)
            count += 1
        return count

    def for_identity(
        self, manufacturer: str, oui: str, product_class: str, serial_number: str
    ) -> Device:
        device = self.ensure(device_key(oui, product_class, serial_number))
        device.manufacturer = manufacturer
        return device

    def __iter__(self):
        return iter(list(self._devices.values()))

    def __len__(self) -> int:
        return len(self._devices)

    def update_params(self, device: Device, values: dict[str, str]) -> None:
        """Merge values from an Inform or a GetParameterValuesResponse; keep the CR URL."""
        device.params.update(values)
        for name in CR_URL_PARAMS:
            if values.get(name):
                device.cr_url = values[name]
