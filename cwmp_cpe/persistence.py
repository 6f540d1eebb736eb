"""What one CPE runtime persists, as named sections of one JSON-able dict (no I/O here).

TR-069 wants undelivered events, unacknowledged TransferComplete records, accepted
transfers, scheduled informs, parameter attributes and RetryCount to outlive a reboot and a
restart of the process. Each part of the runtime that keeps such state registers a
:class:`StateSection` under a top-level key; :class:`Persistence` writes all sections to the
pluggable :class:`~cwmp_cpe.store.StateStore` after every change and restores them in
registration order at start. The key names are the store's format (files written by older
builds restore unchanged), so a feature module picks a new key and never reuses one.

Times: the runtime schedules on a monotonic clock, which means nothing after a restart; a
section stores wall-clock times (TR-106 dateTime strings) and converts with the
:class:`TimeBase` it is given, so a 30-minute wait saved with 10 minutes left resumes with 10.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from printbench.cwmp import soap
from printbench.cwmp.events import EventError
from printbench.cwmp_cpe.store import StateStore

log = logging.getLogger(__name__)

#: The store format's version (a top-level ``version`` key).
STATE_VERSION = 1


def iso(dt: datetime) -> str:
    """A TR-106 dateTime in UTC (how every persisted and reported time is written)."""
    return soap.format_datetime(dt.astimezone(UTC))


def parse_iso(text: str) -> datetime:
    """The inverse of :func:`iso`; a time without zone is taken as UTC."""
    dt = soap.parse_datetime(text)
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


@dataclass(frozen=True)
class TimeBase:
    """One reading of both clocks, to convert monotonic due times to wall time and back."""

    wall: datetime
    mono: float

    def to_wall(self, mono_due: float) -> str:
        return iso(self.wall + timedelta(seconds=mono_due - self.mono))

    def to_mono(self, wall_due: str) -> float:
        """The monotonic time of ``wall_due``; a time already past is now."""
        return self.mono + max(0.0, (parse_iso(wall_due) - self.wall).total_seconds())


@dataclass(frozen=True)
class StateSection:
    """One top-level key of the persisted state.

    ``dump(base)`` returns a JSON-able value; ``load(value, base)`` puts a stored value
    back and may raise ``KeyError``/``TypeError``/``ValueError`` on a value it cannot use
    (the whole restore is then abandoned and the CPE starts afresh, logged, never a crash).
    ``load`` is not called when the key is absent (a store written before the section
    existed).
    """

    key: str
    dump: Callable[[TimeBase], Any]
    load: Callable[[Any, TimeBase], None]


class Persistence:
    """The registered sections of one CPE and the store they are written to."""

    def __init__(self, store: StateStore, time_base: Callable[[], TimeBase], name: str) -> None:
        self.store = store
        self._time_base = time_base
        self._name = name
        self._sections: dict[str, StateSection] = {}

    def add(self, section: StateSection) -> None:
        """Register ``section`` (a key registered twice is a programming error)."""
        if section.key == "version" or section.key in self._sections:
            raise ValueError(f"persisted state key {section.key!r} is already taken")
        self._sections[section.key] = section

    def state(self) -> dict[str, Any]:
        base = self._time_base()
        out: dict[str, Any] = {"version": STATE_VERSION}
        for key, section in self._sections.items():
            out[key] = section.dump(base)
        return out

    def save(self) -> None:
        """Write the whole state; a failing store is logged (the device keeps running)."""
        try:
            self.store.save(self.state())
        except Exception:
            log.exception("%s: cannot save the CPE state", self._name)

    def restore(self) -> None:
        """Load every section present in the store (registration order)."""
        data = self.store.load()
        if not data:
            return
        base = self._time_base()
        try:
            for key, section in self._sections.items():
                if key in data:
                    section.load(data[key], base)
        except (KeyError, TypeError, ValueError, EventError) as exc:
            log.error("%s: saved CPE state unusable, starting afresh: %s", self._name, exc)
