"""Value-change notifications for proxied printers: polling by parameter class, and traps.

A printer without a TR-069 client does not tell anyone when a value changes, so the proxy
asks: parameters with Notification 1 or 2 (set by the ACS, or forced by the model) are
fetched at an interval that depends on their class — ``status`` (anything under Status.,
supplies, trays, covers, conditions: values that move by themselves; default 10 s) and
``config`` (description, defaults, settings: values that change only when someone sets them;
default 60 s). Parameters with *active* notification are also polled at the ``active``
interval (default 5 s) whatever their class: the ACS asked to be told at once, so a
description changed at the printer's panel must not wait a minute. The Cpe runtime's tracker turns differences into ``4 VALUE CHANGE``
Informs (active) or Inform parameters (passive), exactly as for an embedded client.

An RFC 3805 ``printerV2Alert`` trap (SNMPv2c, decoded with the emulator's strict BER codec)
from a managed printer's address triggers an immediate status poll of that printer, so an
alert reaches the ACS without waiting for the interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from printbench.snmp import ber

log = logging.getLogger(__name__)

SNMP_TRAP_OID = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
PRINTER_V2_ALERT = (1, 3, 6, 1, 2, 1, 43, 18, 2, 0, 1)
TRAP_PDU = ber.TRAP_V2
_STATUS_MARKS = (
    ".Status.",
    ".MarkerSupplies.",
    ".MarkerStatus.",
    "Status.",
    ".InputTrayStatus.",
    "InputTrayCurrentLevel",
    ".OutputTrayRemainingCapacity",
    "OutputTrayStatus",
    ".CoverStatus.",
    "InterfaceStatus.",
    "DeviceInfo.UpTime",
)


def parameter_class(name: str) -> str:
    """``status`` for values that move by themselves, ``config`` for the rest."""
    return "status" if any(mark in name for mark in _STATUS_MARKS) else "config"


class Notifier:
    """Polls watched parameters of every device and listens for printer traps."""

    def __init__(
        self,
        devices: Callable[[], Iterable[Any]],
        *,
        intervals: dict[str, float] | None = None,
        trap_host: str = "127.0.0.1",
        trap_port: int | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.devices = devices
        self.intervals = {"status": 10.0, "config": 60.0, "active": 5.0, **(intervals or {})}
        self.trap_host = trap_host
        self.trap_port = trap_port
        self.monotonic = monotonic
        self._due: dict[tuple[str, str], float] = {}
        self._task: asyncio.Task[None] | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._wake = asyncio.Event()
        self._urgent: set[str] = set()
        self.traps_received = 0
        self.polls = 0

    async def start(self) -> None:
        if self.trap_port is not None:
            loop = asyncio.get_running_loop()
            self._transport, _ = await loop.create_datagram_endpoint(
                lambda: _TrapProtocol(self), local_addr=(self.trap_host, self.trap_port)
            )
            self.trap_port = self._transport.get_extra_info("sockname")[1]
        self._task = asyncio.create_task(self._run(), name="cwmp-proxy notifier")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._transport is not None:
            self._transport.close()

    def trap_from(self, address: str) -> None:
        self._urgent.add(address)
        self._wake.set()

    async def poll_device(self, device: Any, classes: set[str]) -> bool:
        """Fetch the watched parameters of ``classes``; tell the runtime to compare."""
        names = [n for n in device.watched_names() if parameter_class(n) in classes]
        if "active" in classes:
            names += [n for n in device.active_names() if n not in names]
        if not names or device.cpe is None:
            return False
        async with device.lock:
            await device.refresh(names, merge=True)
        self.polls += 1
        device.cpe.values_changed()
        return True

    async def _run(self) -> None:
        while True:
            now = self.monotonic()
            urgent, self._urgent = self._urgent, set()
            jobs = []
            next_due = now + min(self.intervals.values())
            for d in list(self.devices()):
                classes = set()
                for cls, interval in self.intervals.items():
                    key = (d.entry.address, cls)
                    due = self._due.setdefault(key, now + interval)
                    if due <= now or (cls == "status" and d.entry.address in urgent):
                        classes.add(cls)
                        self._due[key] = now + interval
                        due = now + interval
                    next_due = min(next_due, due)
                if classes:
                    jobs.append(self.poll_device(d, classes))
            if jobs:
                for res in await asyncio.gather(*jobs, return_exceptions=True):
                    if isinstance(res, Exception):
                        log.error("notification poll failed: %r", res)
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, next_due - self.monotonic()))


class _TrapProtocol(asyncio.DatagramProtocol):
    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            msg = ber.decode_message(data)
        except ber.BerError as exc:
            log.info("ignored a malformed datagram from %s: %s", addr[0], exc)
            return
        if msg.pdu_type != TRAP_PDU:
            return
        trap_oid = next((v for o, v in _varbinds(msg) if o == SNMP_TRAP_OID), None)
        # BER values are (tag, value); an OID value is (0x06, (1, 3, 6, ...))
        value = trap_oid[1] if isinstance(trap_oid, tuple) and len(trap_oid) == 2 else trap_oid
        if tuple(value or ()) != PRINTER_V2_ALERT:
            return
        self.notifier.traps_received += 1
        self.notifier.trap_from(addr[0])


def _varbinds(msg: Any) -> list[tuple[tuple[int, ...], Any]]:
    out = []
    for vb in msg.varbinds:
        oid = getattr(vb, "oid", None)
        val = getattr(vb, "value", None)
        if oid is None and isinstance(vb, tuple):
            oid, val = vb[0], vb[1]
        if oid is None:  # neither a varbind object nor a pair: not part of the trap
            continue
        out.append((tuple(oid), val))
    return out
