"""The stub ACS's durable state: its registry of devices and their queued RPCs, in SQLite.

Why: a killed ACS used to lose what it held only in memory (issue 17: 61 queued Reboots gone
with a restart). With ``AcsConfig(persist=True)`` the server keeps ``acs-state.sqlite3`` in
its journal folder; a new server on the same folder restores every device it knew (identity,
ConnectionRequestURL and credentials, authentication settings, last parameters, the
ParameterKey and Reboot CommandKey it expects) and every RPC not yet answered, in order, and
delivers them in the devices' next sessions.

A queued RPC is stored as the SOAP envelope the ACS would send (``cwmp.soap``), so the store
needs no schema of its own for the 20-odd message types, and is deleted when its answer (or a
fault, or an abort) arrives. Writes are small (one row per enqueue, per answer, per accepted
Inform) and go through one connection in WAL mode with ``synchronous=NORMAL``: durable over a
killed process, fast enough for a 1,000-printer soak (about 100 sessions/s).
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from printbench.cwmp import messages as m
from printbench.cwmp import soap
from printbench.cwmp.errors import CwmpError

log = logging.getLogger(__name__)

STATE_FILE = "acs-state.sqlite3"

#: Device fields kept across a restart (the rest is per-session scripting or history).
_SCALARS = (
    "manufacturer",
    "oui",
    "product_class",
    "serial_number",
    "inform_count",
    "cr_url",
    "auth_mode",
    "expected_parameter_key",
    "pending_reboot_key",
)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rpcs (
    key INTEGER PRIMARY KEY AUTOINCREMENT,
    device TEXT NOT NULL,
    hold INTEGER NOT NULL,
    envelope BLOB NOT NULL
);
"""


class StoreError(RuntimeError):
    """The state file cannot be opened or read; the message names it."""


def encode_request(request: m.Message) -> bytes:
    """The envelope bytes a queued ``request`` is stored as."""
    return soap.encode(m.Envelope(request, id="queued"))


def decode_request(data: bytes) -> m.Message:
    return soap.decode(data).body  # type: ignore[return-value]


class AcsStore:
    """One SQLite file: ``devices`` (JSON per device) and ``rpcs`` (queued envelopes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the ACS state file: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    # -- devices ---------------------------------------------------------------------------

    def save_device(self, device: Any) -> None:
        data: dict[str, Any] = {k: getattr(device, k) for k in _SCALARS}
        data["last_inform_at"] = (
            device.last_inform_at.isoformat() if device.last_inform_at else None
        )
        data["params"] = device.params
        data["cwmp_versions"] = list(device.cwmp_versions) if device.cwmp_versions else None
        data["outstanding_transfers"] = device.outstanding_transfers
        for name in ("cr_credentials", "auth_credentials"):
            creds = getattr(device, name)
            data[name] = [creds.username, creds.password] if creds is not None else None
        self._write(
            "INSERT OR REPLACE INTO devices (id, data) VALUES (?, ?)",
            (device.id, json.dumps(data, ensure_ascii=False)),
        )

    def devices(self) -> list[tuple[str, dict[str, Any]]]:
        """(id, stored fields) of every device, in the order they were first stored."""
        rows = self._db.execute("SELECT id, data FROM devices ORDER BY rowid").fetchall()
        return [(key, json.loads(data)) for key, data in rows]

    @staticmethod
    def apply(device: Any, data: dict[str, Any], credentials: type) -> None:
        """Put stored fields back on a fresh ``Device``."""
        for k in _SCALARS:
            if k in data:
                setattr(device, k, data[k])
        if data.get("last_inform_at"):
            device.last_inform_at = datetime.fromisoformat(data["last_inform_at"])
        device.params = dict(data.get("params") or {})
        versions = data.get("cwmp_versions")
        device.cwmp_versions = tuple(versions) if versions else None
        device.outstanding_transfers = dict(data.get("outstanding_transfers") or {})
        for name in ("cr_credentials", "auth_credentials"):
            pair = data.get(name)
            setattr(device, name, credentials(*pair) if pair else None)

    # -- queued RPCs -------------------------------------------------------------------------

    def add_rpc(self, device_id: str, request: m.Message, hold: bool) -> int | None:
        """Store a queued RPC; its key, or None if it cannot be written as an envelope."""
        try:
            data = encode_request(request)
        except CwmpError as exc:
            log.warning("ACS state: %s for %s is not stored: %s", request.METHOD, device_id, exc)
            return None
        cur = self._write(
            "INSERT INTO rpcs (device, hold, envelope) VALUES (?, ?, ?)",
            (device_id, int(hold), data),
        )
        return None if cur is None else cur.lastrowid

    def remove_rpc(self, key: int) -> None:
        self._write("DELETE FROM rpcs WHERE key = ?", (key,))

    def rpcs(self) -> list[tuple[int, str, bool, m.Message]]:
        """(key, device id, hold_requests, request) of every stored RPC, oldest first;
        rows that no longer decode are dropped with a warning."""
        out = []
        rows = self._db.execute("SELECT key, device, hold, envelope FROM rpcs ORDER BY key")
        for key, device, hold, data in rows.fetchall():
            try:
                out.append((key, device, bool(hold), decode_request(data)))
            except CwmpError as exc:
                log.warning("%s: queued RPC %d for %s dropped: %s", self.path, key, device, exc)
                self.remove_rpc(key)
        return out

    def _write(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor | None:
        try:
            return self._db.execute(sql, args)
        except sqlite3.Error as exc:  # a full disk must not stop the ACS
            log.warning("ACS state %s: %s", self.path, exc)
            return None
