"""Where a CPE keeps what must survive a reboot or a restart (pluggable).

TR-069 requires undelivered events (BOOT, M Reboot, 7 TRANSFER COMPLETE, M Download, ...),
unacknowledged TransferComplete records, parameter attributes and the ParameterKey to survive
a reboot. The runtime hands its whole persistent state to a store as one JSON-able dict after
every change; a store only has to keep the last one. ``JsonFileStore`` writes a file
atomically (write to a temporary name, then rename), so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Protocol


class StoreError(ValueError):
    """The saved state cannot be read; the message names the file."""


class StateStore(Protocol):
    def load(self) -> dict[str, Any] | None: ...

    def save(self, state: dict[str, Any]) -> None: ...


class MemoryStore:
    """Keeps the state in memory: survives a simulated reboot, not a process exit."""

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        self.state = state
        self.saves = 0

    def load(self) -> dict[str, Any] | None:
        return json.loads(json.dumps(self.state)) if self.state is not None else None

    def save(self, state: dict[str, Any]) -> None:
        self.state = json.loads(json.dumps(state))
        self.saves += 1


class JsonFileStore:
    """One JSON file per device."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"{self.path}: cannot read: {exc}") from None
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise StoreError(f"{self.path}: not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise StoreError(f"{self.path}: expected a JSON object")
        return data

    def save(self, state: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)
