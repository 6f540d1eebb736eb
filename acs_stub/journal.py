"""The stub ACS's record of every HTTP exchange and envelope.

Why a journal and not logs: the conformance engine and a human reading a failed plugfest run
both need the exact bytes each side sent, in order, with the device and session they belong
to. Entries are kept in memory (queried by the control API) and appended as JSON lines to a
file, one per run, so a report can link to them. Each entry has a sequence number ``ref`` that
verdicts use to point at the offending envelope.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from lxml import etree

log = logging.getLogger(__name__)

#: Headers worth keeping; the rest of an HTTP exchange is noise for conformance.
HEADERS_OF_INTEREST = (
    "Content-Type",
    "Content-Length",
    "SOAPAction",
    "Cookie",
    "Set-Cookie",
    "Authorization",
    "WWW-Authenticate",
    "Transfer-Encoding",
    "Connection",
    "User-Agent",
)

#: Bodies larger than this are kept truncated (the endpoint refuses them anyway).
MAX_BODY_KEPT = 256 * 1024
#: What is kept of a refused body that is not a SOAP envelope at all (enough to see what).
MAX_UNDECODED_KEPT = 4 * 1024
#: Defaults of the journal's size bounds (docs/acs.md "Journal"): bytes of bodies kept in
#: memory, size of one journal file before it is rotated, rotated files kept.
KEEP_BYTES = 64 * 1024 * 1024
MAX_FILE_BYTES = 256 * 1024 * 1024
KEEP_FILES = 3


@dataclass
class JournalEntry:
    """One record: an HTTP message (with its envelope) or a session event."""

    ref: int
    ts: str
    kind: str  # "http" | "session" | "note"
    direction: str  # "cpe->acs" | "acs->cpe" | "acs->cpe-cr" | "-"
    device: str | None = None
    session: str | None = None
    http_status: int | None = None
    http_method: str | None = None
    path: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    method: str | None = None  # decoded CWMP method, "" for an empty body
    cwmp_id: str | None = None
    note: str = ""
    #: kind "tls": the TLS side of an Inform's connection (acs_stub.tls.note_tls)
    tls: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        # Shallow on purpose (dataclasses.asdict deep-copies; this is on the hot path).
        out = {f: getattr(self, f) for f in _FIELDS}
        out["headers"] = dict(self.headers)
        return out


_FIELDS = tuple(f.name for f in fields(JournalEntry))


def pick_headers(headers: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in HEADERS_OF_INTEREST:
        value = headers.get(name) if headers is not None else None
        if value is not None:
            out[name] = str(value)
    return out


def body_text(body: bytes | str | None) -> str:
    if body is None:
        return ""
    if isinstance(body, str):
        text = body
    else:
        text = body[:MAX_BODY_KEPT].decode("utf-8", errors="replace")
    if len(text) > MAX_BODY_KEPT:
        text = text[:MAX_BODY_KEPT]
    return text


class Journal:
    """In-memory list of entries plus an optional JSON-lines file.

    Bounded three ways (issue 17): at most ``keep`` entries and ``keep_bytes`` bytes of
    bodies in memory (the oldest go first), and a file of at most ``max_file_bytes`` before
    it is rotated (``path`` -> ``path.1`` -> ... ``path.<keep_files>``, the oldest deleted);
    ``max_file_bytes=0`` never rotates."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        clock_now=None,
        keep: int = 200_000,
        keep_bytes: int = KEEP_BYTES,
        max_file_bytes: int = MAX_FILE_BYTES,
        keep_files: int = KEEP_FILES,
    ) -> None:
        from datetime import UTC

        self._now = clock_now or (lambda: datetime.now(UTC))
        self._entries: list[JournalEntry] = []
        self._keep = keep
        self._keep_bytes = keep_bytes
        self._bytes = 0  # body characters held by _entries
        self._dropped = 0
        self._max_file_bytes = max_file_bytes
        self._keep_files = max(1, keep_files)
        self._file_bytes = 0
        self.path = path
        self._file: IO[str] | None = None
        self._appended: asyncio.Event | None = None  # set (and replaced) on each new entry
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("a", encoding="utf-8")
            self._file_bytes = path.stat().st_size

    def _rotate(self) -> None:
        """Close the file, shift ``path.N`` up by one (dropping the last), start afresh."""
        assert self.path is not None and self._file is not None
        self._file.close()
        path = self.path
        oldest = path.with_name(f"{path.name}.{self._keep_files}")
        oldest.unlink(missing_ok=True)
        for n in range(self._keep_files - 1, 0, -1):
            older = path.with_name(f"{path.name}.{n}")
            if older.exists():
                older.rename(path.with_name(f"{path.name}.{n + 1}"))
        path.rename(path.with_name(f"{path.name}.1"))
        self._file = path.open("a", encoding="utf-8")
        self._file_bytes = 0

    def _trim(self) -> None:
        """Drop the oldest entries beyond ``keep`` entries or ``keep_bytes`` of bodies."""
        entries = self._entries
        drop = max(0, len(entries) - self._keep)
        freed = sum(len(e.body) for e in entries[:drop])
        if self._bytes - freed > self._keep_bytes:
            target = self._keep_bytes * 9 // 10  # batch the work: trim to 90 %
            while drop < len(entries) - 1 and self._bytes - freed > target:
                freed += len(entries[drop].body)
                drop += 1
        if drop:
            del entries[:drop]
            self._dropped += drop
            self._bytes -= freed

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    @property
    def active(self) -> bool:
        """False when nothing is kept (``keep=0``, no file): callers may skip building entries."""
        return self._keep > 0 or self._file is not None

    def record(self, kind: str, direction: str = "-", **fields: Any) -> JournalEntry:
        if not self.active:  # a load run's lean ACS: count, keep nothing
            self._dropped += 1
            return JournalEntry(ref=self._dropped, ts="", kind=kind, direction=direction)
        ref = self._dropped + len(self._entries) + 1
        entry = JournalEntry(
            ref=ref, ts=self._now().isoformat(), kind=kind, direction=direction, **fields
        )
        self._entries.append(entry)
        self._bytes += len(entry.body)
        if len(self._entries) > self._keep or self._bytes > self._keep_bytes:
            self._trim()  # bounded memory in long load runs
        if self._file is not None:
            try:
                line = json.dumps(entry.to_dict(), ensure_ascii=False) + "\n"
                limit = self._max_file_bytes
                if limit and self._file_bytes and self._file_bytes + len(line) > limit:
                    self._rotate()
                self._file.write(line)
                self._file.flush()
                self._file_bytes += len(line.encode("utf-8")) if not line.isascii() else len(line)
            except OSError as exc:  # a full disk must not break the ACS
                log.warning("journal %s: %s", self.path, exc)
        self._wake()
        return entry

    def _wake(self) -> None:
        event, self._appended = self._appended, None
        if event is not None:
            event.set()

    async def changed(self, timeout: float) -> bool:
        """Wait for the next entry: True once one is recorded, False after ``timeout`` seconds.

        This is the journal's subscription: the conformance engine awaits it instead of
        polling (every request, response, session start and end is an entry, so whatever a
        scenario waits for at the ACS wakes it at once).
        """
        if self._appended is None:
            self._appended = asyncio.Event()
        event = self._appended
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def get(self, ref: int) -> JournalEntry | None:
        index = ref - self._dropped - 1
        if 0 <= index < len(self._entries):
            return self._entries[index]
        return None

    def entries(
        self,
        *,
        device: str | None = None,
        session: str | None = None,
        since: int = 0,
        kind: str | None = None,
    ) -> list[JournalEntry]:
        return [
            e
            for e in self._entries
            if e.ref > since
            and (device is None or e.device == device)
            and (session is None or e.session == session)
            and (kind is None or e.kind == kind)
        ]

    def sessions(self) -> list[tuple[str, str | None]]:
        """(session id, device id) in order of first appearance."""
        seen: dict[str, str | None] = {}
        for e in self._entries:
            if e.session and (e.session not in seen or (seen[e.session] is None and e.device)):
                seen[e.session] = e.device
        return list(seen.items())


_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=True
)


def pretty_xml(text: str) -> str:
    """Indent an envelope for reading; return the text unchanged if it is not XML."""
    if not text.strip():
        return ""
    try:
        root = etree.fromstring(text.encode("utf-8"), _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return text
    return etree.tostring(root, pretty_print=True, encoding="unicode")


def render_session_html(session: str, entries: Iterable[JournalEntry], violations=()) -> str:
    """A small self-contained HTML page listing a session's exchanges and verdicts."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("acs_stub", "templates"), autoescape=select_autoescape(["html"])
    )
    template = env.get_template("session.html")
    rows = [dict(e.to_dict(), pretty=pretty_xml(e.body)) for e in entries]
    return template.render(session=session, entries=rows, violations=list(violations))
