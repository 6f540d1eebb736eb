"""Encoded printer attributes, kept per printer until its state changes. Pure.

A monitoring poll asks for the same few attributes again and again, and between two polls the
state usually has not moved. So each printer attribute is encoded once
(:func:`~emulator.ipp.codec.encode_attribute`) and its bytes are reused until the printer's
state emits a change event (``state.subscribe``), which drops them all. Attributes whose
builder reads the clock (printer-up-time, printer-current-time, or any later one that does) are
found by watching the clock while building, and are never kept. printer-uri-supported and
printer-more-info depend on the address the client used, so the bytes are kept per printer-uri.
"""

from __future__ import annotations

from typing import Any

from emulator.ipp import attributes as A
from emulator.ipp.codec import encode_attribute

MAX_URIS = 64  # printer-uris (Host headers) remembered per printer


class _WatchedClock:
    """A clock proxy that notes whether a builder read the time."""

    __slots__ = ("clock", "read")

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.read = False

    def __getattr__(self, name: str) -> Any:
        self.read = True
        return getattr(self.clock, name)


class AttributeCache:
    """Encoded printer attributes of one printer state, dropped on every change event."""

    __slots__ = ("state", "by_uri", "volatile", "__weakref__")

    def __init__(self, state: Any) -> None:
        self.state = state
        self.by_uri: dict[str, dict[str, bytes]] = {}
        self.volatile: set[str] = set()  # builders seen reading the clock
        state.subscribe(self._changed)

    def _changed(self, _event: Any) -> None:
        if self.by_uri:
            self.by_uri = {}

    def printer_attributes(self, view: A.View, names: list[str]) -> list[bytes]:
        """The wire bytes of the named printer attributes (unknown names are skipped)."""
        cached = self.by_uri.get(view.printer_uri)
        if cached is None:
            if len(self.by_uri) >= MAX_URIS:
                self.by_uri = {}
            cached = self.by_uri[view.printer_uri] = {}
        out: list[bytes] = []
        volatile = self.volatile
        for name in names:
            data = cached.get(name)
            if data is None:
                if name in volatile:
                    attrs = A.printer_attributes(view, (name,))
                    if attrs:
                        out.append(encode_attribute(attrs[0]))
                    continue
                watched = _WatchedClock(view.clock)
                attrs = A.printer_attributes(
                    A.View(view.state, watched, view.printer_uri, view.more_info), (name,)
                )
                if not attrs:
                    continue
                data = encode_attribute(attrs[0])
                if watched.read:
                    volatile.add(name)
                else:
                    cached[name] = data
            out.append(data)
        return out
