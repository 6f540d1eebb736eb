"""The ACS side of a UDP Connection Request (TR-069 Annex G): where to, what, how often, and
the verdict.

Where to: the binding the STUN server saw last for the device (USERNAME = the device's
serial number or registry id), else the ``UDPConnectionRequestAddress`` the device reported
(Inform or GetParameterValues). What: one datagram of ``cwmp.udp_cr.build`` signed with the
device's connection request credentials, sent from the STUN server's socket (see
``acs_stub.stun_server``). How often: UDP may lose it, so the same datagram (same ``id``: the
CPE treats copies as one request) goes out ``copies`` times, ``interval`` apart, until the
session starts — GenieACS sends 3 copies at once; Annex G's text on ACS retransmission was not
found, so the count is a bench setting, not a rule.

The verdict (:class:`UdpCrOutcome`): the request worked when the device opened a session whose
Inform carries ``6 CONNECTION REQUEST`` within ``timeout`` (Annex G: a UDP Connection Request
has the same effect as the TCP one, TR-069 §3.2.2 — the CPE opens a session with that event).
``ignored`` outcomes (no session) are what a *bad* request must produce: a replayed copy or a
wrong signature must not start a session.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from printbench.acs_stub.stun_server import StunBinding, StunServer, parse_authority
from printbench.cwmp import udp_cr as U

UDP_CR_PARAMS = (
    "Device.ManagementServer.UDPConnectionRequestAddress",
    "InternetGatewayDevice.ManagementServer.UDPConnectionRequestAddress",
)
EVENT = "6 CONNECTION REQUEST"


class UdpConnectionRequestError(RuntimeError):
    """No address to send to, or no STUN server to send from."""


@dataclass(frozen=True)
class UdpCrOutcome:
    address: str  # where it went (host:port)
    datagram: bytes  # what went (one copy)
    copies: int  # how many copies went
    session: str | None  # the session with 6 CONNECTION REQUEST, None: none within timeout
    elapsed: float

    @property
    def answered(self) -> bool:
        return self.session is not None


def udp_address_of(device: Any, stun: StunServer | None) -> str | None:
    """The device's UDP Connection Request address (see the module docstring)."""
    if stun is not None:
        b = stun.binding_for(device.serial_number, device.id)
        if b is not None:
            return b.authority
    for name in UDP_CR_PARAMS:
        value = device.params.get(name)
        if value:
            return value
    return None


async def send_udp_connection_request(
    control: Any,
    device_id: str,
    *,
    timeout: float = 20.0,
    copies: int = 3,
    interval: float = 0.5,
    datagram: bytes | None = None,
    sig: str | None = None,
    expect_session: bool = True,
) -> UdpCrOutcome:
    """Send one UDP Connection Request (``datagram`` resends a captured one: a replay) and
    wait for the session it should start (or, ``expect_session=False``, the whole
    ``timeout`` for one that should not come)."""
    stun: StunServer | None = getattr(control, "stun", None)
    if stun is None:
        raise UdpConnectionRequestError("the stub ACS runs no STUN server (start_stun)")
    device = control.device(device_id)
    address = udp_address_of(device, stun)
    if not address:
        raise UdpConnectionRequestError(
            f"device {device_id} has no UDPConnectionRequestAddress (no STUN binding seen "
            "and none reported)"
        )
    try:
        dest = parse_authority(address)
    except ValueError as exc:
        raise UdpConnectionRequestError(str(exc)) from None
    creds = device.cr_credentials
    if datagram is None:
        user, password = (creds.username, creds.password) if creds else ("", "")
        datagram = U.build(address, user, password, ts=int(time.time()), sig=sig)
    waiter = asyncio.ensure_future(control.wait_inform(device_id, events=[EVENT], timeout=timeout))
    device.pending_connection_requests += 1  # the judge: this session was asked for
    start = time.monotonic()
    sent = 0
    session: str | None = None
    try:
        for i in range(max(1, copies)):
            stun.send_to(dest, datagram)
            sent += 1
            control.server.journal.record(
                "note",
                "acs->cpe-udp-cr",
                device=device.id,
                path=address,
                note=f"UDP connection request copy {i + 1}: {datagram[:120]!r}",
            )
            if i + 1 < copies:
                done, _ = await asyncio.wait({waiter}, timeout=interval)
                if done:
                    break
        with contextlib.suppress(TimeoutError):
            dev, _inform = await waiter
            current = control.server.current_session(dev.id)
            session = current.id if current is not None else (dev.session_ids or ["?"])[-1]
    finally:
        if not waiter.done():
            waiter.cancel()
        if session is None:
            device.pending_connection_requests = max(0, device.pending_connection_requests - 1)
    return UdpCrOutcome(address, datagram, sent, session, time.monotonic() - start)


def journal_bindings(control: Any) -> Callable[[StunBinding, bool], None]:
    """An ``on_binding`` for the STUN server: a journal note when a CPE's binding is new or
    moved (not for every keep-alive), so reports show where UDP Connection Requests go."""

    def note(b: StunBinding, moved: bool) -> None:
        if not moved:
            return
        dev = next((d for d in control.devices()
                    if b.username and b.username in (d.serial_number, d.id)), None)  # fmt: skip
        change = ", BINDING-CHANGE" if b.binding_changes else ""
        control.server.journal.record(
            "note",
            "cpe->acs-stun",
            device=dev.id if dev is not None else None,
            path=b.authority,
            note=f"STUN binding {b.authority} (CONNECTION-REQUEST-BINDING{change}; "
            f"{b.requests} requests, moved {b.moves} times)",
        )

    return note
