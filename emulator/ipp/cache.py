"""Encoded printer attributes, kept per printer until its state changes. Pure.

A monitoring poll asks for the same few attributes again and again, and between two polls the
state usually has not moved. So each printer attribute is encoded once
(:func:`~emulator.ipp.codec.encode_attribute`) and its bytes are reused until the printer's
state emits a change event (``state.subscribe``), which drops them all. Attributes whose
builder reads the clock (printer-up-time, printer-current-time, or any later one that does) are
found by watching the clock while building, and are never kept. printer-uri-supported and
printer-more-info depend on the address the client used, so the bytes are kept per printer-uri.

One step further, a whole Get-Printer-Attributes response is kept (:meth:`memo`) when every
attribute in it came from kept bytes: the response is then a function of the request bytes
(without the request-id, which is spliced in), the printer-uri and the state, so the next
identical poll skips decoding, validation and encoding. Only small requests and responses are
kept, and few per printer, so memory stays bounded whatever clients send.
"""

from __future__ import annotations

from typing import Any

from printbench.emulator.ipp import attributes as A
from printbench.ipp.codec import encode_attribute

MAX_URIS = 64  # printer-uris (Host headers) remembered per printer
MAX_MEMO = 32  # whole responses remembered per printer
MAX_MEMO_BYTES = 2048  # largest request and response kept whole


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

    __slots__ = ("__weakref__", "by_uri", "clean", "memos", "version", "volatile")

    def __init__(self, state: Any) -> None:
        # no reference to the state is kept: the server's WeakKeyDictionary then lets a
        # removed printer's state (and this cache, reachable only through it) go
        self.by_uri: dict[str, dict[str, bytes]] = {}
        self.memos: dict[str, dict[bytes, bytes]] = {}
        self.volatile: set[str] = set()  # builders seen reading the clock
        self.version = 0  # bumped by every change event
        self.clean = False  # the last printer_attributes call used only keepable bytes
        state.subscribe(self._changed)

    def _changed(self, _event: Any) -> None:
        self.version += 1
        if self.by_uri:
            self.by_uri = {}
        if self.memos:
            self.memos = {}

    # -- whole responses ---------------------------------------------------------------------

    @staticmethod
    def memo_key(body: bytes) -> bytes | None:
        """The memo key of a Get-Printer-Attributes request, or None when it cannot be kept:
        the request without its request-id, for request-ids 1 to 2^31-1 (all answered alike)."""
        if (
            len(body) > MAX_MEMO_BYTES
            or len(body) < 9
            or body[2] != 0
            or body[3] != 0x0B
            or body[4] >= 0x80
            or body[4:8] == b"\0\0\0\0"
        ):
            return None
        return body[:4] + body[8:]

    def recall(self, printer_uri: str, key: bytes, body: bytes) -> bytes | None:
        """The kept response to ``key`` with this request's request-id, or None."""
        memo = self.memos.get(printer_uri)
        if memo is None:
            return None
        kept = memo.get(key)
        if kept is None:
            return None
        return kept[:4] + body[4:8] + kept[8:]

    def keep(self, printer_uri: str, key: bytes, response: bytes) -> None:
        """Keep ``response`` (built while the state stood still, from kept bytes only)."""
        if len(response) > MAX_MEMO_BYTES:
            return
        memo = self.memos.get(printer_uri)
        if memo is None:
            if len(self.memos) >= MAX_URIS:
                self.memos = {}
            memo = self.memos[printer_uri] = {}
        if len(memo) >= MAX_MEMO:
            memo.clear()
        memo[key] = response

    # -- attributes --------------------------------------------------------------------------

    def printer_attributes(self, view: A.View, names: list[str]) -> list[bytes]:
        """The wire bytes of the named printer attributes (unknown names are skipped)."""
        cached = self.by_uri.get(view.printer_uri)
        if cached is None:
            if len(self.by_uri) >= MAX_URIS:
                self.by_uri = {}
            cached = self.by_uri[view.printer_uri] = {}
        out: list[bytes] = []
        volatile = self.volatile
        clean = True
        for name in names:
            data = cached.get(name)
            if data is None:
                clean = False
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
        self.clean = clean
        return out
