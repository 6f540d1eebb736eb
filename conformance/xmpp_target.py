"""The built-in target's XMPP server for TR-069 Annex K scenarios.

When Debian's ``prosody`` is installed the built-in target starts a private instance
(``common.prosody``), gives the stub ACS two accounts (``acs``, the JID the printers allow,
and ``other``, one they do not), and gives every embedded printer an account and a configured
``Device.XMPP.Connection.1`` (through its state, as an installer would), so each device gains
the capability ``xmpp``. Without prosody nothing starts and the reason is kept for the
"not applicable" line of the report.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from typing import Any

from printbench.acs_stub.xmpp import AcsXmpp
from printbench.common.prosody import ProsodyServer, unavailable_reason

log = logging.getLogger(__name__)

CAPABILITY = "xmpp"


class XmppSetup:
    """What :func:`start_xmpp` started; ``await stop()`` ends it."""

    def __init__(self, server: ProsodyServer, acs_xmpp: AcsXmpp) -> None:
        self.server = server
        self.acs_xmpp = acs_xmpp

    async def stop(self) -> None:
        await self.acs_xmpp.stop()
        await self.server.stop()


def _user(serial: str, taken: set[str]) -> str:
    base = "printer-" + (re.sub(r"[^a-z0-9._-]", "-", serial.lower()) or "x")
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


async def start_xmpp(target: Any, *, host: str = "127.0.0.1", timeout: float = 20.0) -> Any:
    """Start the XMPP side for ``target`` (a BuiltinTarget with its ACS and devices); returns
    an :class:`XmppSetup`, or None with ``target.capability_reasons["xmpp"]`` saying why."""
    reasons = target.capability_reasons
    why = unavailable_reason()
    if why is not None:
        reasons[CAPABILITY] = why
        target.notes.append(f"XMPP connection requests (TR-069 Annex K) not run: {why}")
        return None
    server = ProsodyServer(host=host)
    try:
        await server.start()
        acs_xmpp = AcsXmpp(server.host, server.port, ca_file=server.ca_file)
        for name in ("acs", "other"):
            pw = secrets.token_hex(12)
            acs_xmpp.add_account(name, await server.register(name, pw), pw)
        await acs_xmpp.start(timeout)
    except Exception as exc:
        await server.stop()
        reasons[CAPABILITY] = f"the XMPP server could not be started: {exc}"
        target.notes.append(f"XMPP connection requests not run: {exc}")
        return None
    target.acs.xmpp = acs_xmpp
    allowed = acs_xmpp.jid("acs").split("/")[0]
    taken: set[str] = set()
    waiting = []
    for dev in target.devices:
        client = dev.client
        if dev.via != "embedded" or getattr(client, "xmpp", None) is None:
            continue
        state = dev.printer.state
        user = _user(state.identity.serial_number, taken)
        pw = secrets.token_hex(12)
        await server.register(user, pw)
        x = state.xmpp
        x.username, x.password, x.domain = user, pw, server.domain
        x.server_connect_algorithm = "ServerTable"
        x.server_address, x.server_port = server.host, server.port
        x.ca_file = str(server.ca_file)
        x.retry_initial_interval = 2  # the bench's server restarts fast; TR-181 allows it
        x.allowed_jabber_ids = allowed
        x.conn_req_connection = "Device.XMPP.Connection.1"
        x.enable = True
        waiting.append((dev, client.xmpp))
    results = await asyncio.gather(*(conn.wait_up(timeout) for _dev, conn in waiting))
    for (dev, conn), up in zip(waiting, results, strict=True):
        if up:
            dev.capabilities.add(CAPABILITY)
        else:
            target.notes.append(f"{dev.name}: XMPP connection not up: {conn.last_error}")
    reasons.setdefault(CAPABILITY, "the device has no XMPP connection to the bench's server")
    # ConnReqJabberID is an active notification (TR-181 forceDefaultEnabled): let the
    # 4 VALUE CHANGE sessions it starts end before the first scenario
    idle = [c.cpe.idle() for dev, c in waiting if CAPABILITY in dev.capabilities]
    if idle:
        await asyncio.wait([asyncio.ensure_future(i) for i in idle], timeout=timeout)
    log.info("XMPP server %s:%d, %d printer(s) connected", server.host, server.port,
             sum(results))  # fmt: skip
    return XmppSetup(server, acs_xmpp)
