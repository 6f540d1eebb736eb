"""The file formats a printbench CPE accepts and sends: firmware images, configuration files.

Both the virtual printer (``emulator.tr069.transfers``) and the CWMP proxy apply these files,
so the formats live here, in the CPE runtime layer both import, not in either role. Each file
carries its own SHA-256, so a corrupted or truncated file is refused with 9018 before
anything changes.

Firmware image (``1 Firmware Upgrade Image``), JSON::

    {"printbench-firmware": 1, "product_class": "...", "version": "2.1.0",
     "payload": "<base64>", "sha256": "<hex SHA-256 of the decoded payload>"}

Vendor configuration file (``3 Vendor Configuration File`` down, ``1 …`` up), YAML::

    printbench-config: 1
    sha256: <hex SHA-256 of the canonical JSON of values>
    values: {description.location: "Room 12", defaults.copies: 2, ...}

``values`` are state paths in the configurable sections; a file is applied all or nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

import yaml

from printbench.cwmp_cpe.transfers import TransferError

FIRMWARE = "1 Firmware Upgrade Image"
CONFIG_DOWN = "3 Vendor Configuration File"
CONFIG_UP = "1 Vendor Configuration File"
LOG_UP = "2 Vendor Log File"

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


def make_firmware(product_class: str, version: str, payload: bytes = b"image") -> bytes:
    """A valid firmware image file (for tests, scenarios and users)."""
    return json.dumps(
        {
            "printbench-firmware": 1,
            "product_class": product_class,
            "version": version,
            "payload": base64.b64encode(payload).decode(),
            "sha256": hashlib.sha256(payload).hexdigest(),
        }
    ).encode()


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


def parse_firmware(data: bytes, product_class: str) -> str:
    """The version in a firmware image, after checking it; TransferError otherwise."""
    try:
        doc = json.loads(data)
        if not isinstance(doc, dict) or doc.get("printbench-firmware") != 1:
            raise ValueError("not a printbench firmware image")
        version = str(doc["version"])
        payload = base64.b64decode(doc["payload"], validate=True)
        digest = str(doc["sha256"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise TransferError(9018, f"firmware image unreadable: {exc}") from None
    if hashlib.sha256(payload).hexdigest() != digest.lower():
        raise TransferError(9018, "firmware image checksum mismatch (file corrupted)")
    if not version or len(version) > 64:
        raise TransferError(9018, "firmware image has no usable version")
    target = doc.get("product_class")
    if target and target != product_class:
        raise TransferError(9010, f"firmware image is for {target!r}, not {product_class!r}")
    return version


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
