"""The configuration-file format a printbench CPE accepts and sends, and the file types.

Both the virtual printer (``emulator.tr069.transfers``) and the CWMP proxy apply these files,
so the formats live here, in the CPE runtime layer both import, not in either role. Each file
carries its own SHA-256, so a corrupted or truncated file is refused with 9018 before
anything changes.

The firmware image format is the printer's own (:mod:`printbench.emulator.firmware`): the
proxy streams an image to the printer's EWS without reading it.

Vendor configuration file (``3 Vendor Configuration File`` down, ``1 …`` up), YAML::

    printbench-config: 1
    sha256: <hex SHA-256 of the canonical JSON of values>
    values: {description.location: "Room 12", defaults.copies: 2, ...}

``values`` are state paths in the configurable sections; a file is applied all or nothing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import yaml

from printbench.cwmp_cpe.transfers import TransferError

FIRMWARE = "1 Firmware Upgrade Image"
CONFIG_DOWN = "3 Vendor Configuration File"
CONFIG_UP = "1 Vendor Configuration File"
LOG_UP = "2 Vendor Log File"

#: Configuration files are parsed in memory: the largest one read.
MAX_CONFIG = 1024 * 1024

#: Where a configuration file may write (what an administrator configures, not counters).
CONFIG_SECTIONS = (
    "description.name",
    "description.info",
    "description.location",
    "description.contact_name",
    "description.contact_email",
    "description.contact_phone",
    "defaults.",
    "network.",
    "snmp.",
    "time.",
    "email_alerts.",
    "finishing.",
    "print_settings.",
    "management.",
    "admin.",
)


def _canonical(values: dict[str, Any]) -> bytes:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def make_config(values: dict[str, Any]) -> bytes:
    """A valid configuration file setting ``values`` (state path → value)."""
    plain = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
    doc = {
        "printbench-config": 1,
        "sha256": hashlib.sha256(_canonical(plain)).hexdigest(),
        "values": plain,
    }
    return yaml.safe_dump(doc, sort_keys=True, allow_unicode=True).encode()


def config_values(state: Any) -> dict[str, Any]:
    """The configurable values of ``state`` (what an uploaded configuration file holds)."""
    out: dict[str, Any] = {}
    for path, value in state.walk():
        if path.startswith(CONFIG_SECTIONS):
            out[path] = list(value) if isinstance(value, tuple) else value
    return out


def parse_config(data: bytes, state: Any) -> dict[str, Any]:
    """The checked values of a configuration file, converted to the state's types."""
    try:
        doc = yaml.safe_load(data.decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("printbench-config") != 1:
            raise ValueError("not a printbench configuration file")
        values = doc["values"]
        digest = str(doc["sha256"])
        if not isinstance(values, dict):
            raise ValueError("values is not a mapping")
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TransferError(9018, f"configuration file unreadable: {exc}") from None
    if hashlib.sha256(_canonical(values)).hexdigest() != digest.lower():
        raise TransferError(9018, "configuration file checksum mismatch (file corrupted)")
    out: dict[str, Any] = {}
    for path, value in values.items():
        if not isinstance(path, str) or not path.startswith(CONFIG_SECTIONS):
            raise TransferError(9010, f"configuration file: {path!r} is not configurable")
        try:
            current = state.get(path)
        except KeyError:
            raise TransferError(9010, f"configuration file: no value {path!r}") from None
        if isinstance(current, tuple) and isinstance(value, list):
            value = tuple(str(v) for v in value)
        elif isinstance(current, float) and isinstance(value, int):
            value = float(value)
        if type(value) is not type(current):
            raise TransferError(
                9010,
                f"configuration file: {path} needs {type(current).__name__}, "
                f"got {type(value).__name__}",
            )
        out[path] = value
    return out
