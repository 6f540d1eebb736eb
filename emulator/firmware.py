"""The printbench firmware image format, shared by every face that takes firmware.

The embedded TR-069 client (Download of ``1 Firmware Upgrade Image``) and the EWS upload
endpoint (``POST /api/firmware``, the way a proxy or an administrator installs firmware)
check images the same way, so the format lives here rather than in either face.

One line of JSON, a newline, then the payload::

    {"printbench-firmware": 2, "product_class": "...", "version": "2.1.0",
     "size": <payload bytes>, "sha256": "<hex SHA-256 of the payload>"}\n<payload>

Real images are tens to hundreds of MB, so it is checked as a stream (header line, then the
payload hashed in chunks, never held in memory). The first format, all JSON with a base64
payload (``"printbench-firmware": 1``), is still read, up to 16 MiB.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from printbench.emulator.state import text_problem

#: A firmware header line is small; past this, the file is not a printbench image.
MAX_HEADER = 4096
#: The all-JSON first format is parsed in memory: bounded.
MAX_FIRMWARE_V1 = 16 * 1024 * 1024
#: Read size when checking an image: small, so the worker threads that check images keep
#: no megabyte buffers in their malloc arenas (RSS of a fleet worker with many at once).
_CHUNK = 64 * 1024


class FirmwareError(ValueError):
    """An image refused; ``code`` is the TR-069 fault it means (9018 corrupt, 9010 other)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def firmware_header(product_class: str, version: str, size: int, sha256: str) -> bytes:
    """The header line of a firmware image whose payload has ``size`` bytes."""
    doc = {
        "printbench-firmware": 2,
        "product_class": product_class,
        "version": version,
        "size": size,
        "sha256": sha256,
    }
    return json.dumps(doc).encode() + b"\n"


def make_firmware(product_class: str, version: str, payload: bytes = b"image") -> bytes:
    """A valid firmware image file (for tests, scenarios and users)."""
    digest = hashlib.sha256(payload).hexdigest()
    return firmware_header(product_class, version, len(payload), digest) + payload


def _pattern(size: int) -> Iterator[bytes]:
    """``size`` bytes of a fixed, not trivially compressible pattern, in chunks."""
    block = hashlib.sha256(b"printbench").digest() * (_CHUNK // 32)
    left = size
    while left > 0:
        yield block[: min(left, _CHUNK)]
        left -= _CHUNK


def write_firmware(path: Path, product_class: str, version: str, size: int) -> Path:
    """Write a valid firmware image of exactly ``size`` bytes to ``path``, in chunks.

    For big images (benchmarks, tests of real sizes) without holding them in memory.
    """
    payload = size - len(firmware_header(product_class, version, size, "0" * 64))
    while payload + len(firmware_header(product_class, version, payload, "0" * 64)) != size:
        payload += size - payload - len(firmware_header(product_class, version, payload, "0" * 64))
    if payload < 0:
        raise ValueError(f"a firmware image cannot be as small as {size} bytes")
    sha = hashlib.sha256()
    for chunk in _pattern(payload):
        sha.update(chunk)
    with path.open("wb") as out:
        out.write(firmware_header(product_class, version, payload, sha.hexdigest()))
        for chunk in _pattern(payload):
            out.write(chunk)
    return path


def _check_version(version: str, target: Any, product_class: str) -> str:
    if not version or len(version) > 64 or text_problem(version) is not None:
        # the version becomes SoftwareVersion on every face: the value rule applies (issue 17)
        raise FirmwareError(9018, "firmware image has no usable version")
    if target and target != product_class:
        raise FirmwareError(9010, f"firmware image is for {target!r}, not {product_class!r}")
    return version


def _parse_firmware_v1(data: bytes, product_class: str) -> str:
    try:
        doc = json.loads(data)
        if not isinstance(doc, dict) or doc.get("printbench-firmware") != 1:
            raise ValueError("not a printbench firmware image")
        version = str(doc["version"])
        payload = base64.b64decode(doc["payload"], validate=True)
        digest = str(doc["sha256"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise FirmwareError(9018, f"firmware image unreadable: {exc}") from None
    if hashlib.sha256(payload).hexdigest() != digest.lower():
        raise FirmwareError(9018, "firmware image checksum mismatch (file corrupted)")
    return _check_version(version, doc.get("product_class"), product_class)


def _parse_firmware_stream(f: IO[bytes], total: int, product_class: str) -> str:
    """Check an image read from ``f`` (``total`` bytes): header line, then payload hash."""
    line = f.readline(MAX_HEADER)
    if not line.endswith(b"\n"):
        if line.startswith(b"{") and total <= MAX_FIRMWARE_V1:
            return _parse_firmware_v1(line + f.read(), product_class)
        raise FirmwareError(9018, "firmware image unreadable: no header line")
    try:
        doc = json.loads(line)
        if not isinstance(doc, dict) or doc.get("printbench-firmware") != 2:
            raise ValueError("not a printbench firmware image")
        version = str(doc["version"])
        size = doc["size"]
        digest = str(doc["sha256"]).lower()
        if not isinstance(size, int) or size < 0:
            raise ValueError("size is not a byte count")
    except (ValueError, KeyError, TypeError) as exc:
        raise FirmwareError(9018, f"firmware image unreadable: {exc}") from None
    if total - len(line) != size:
        raise FirmwareError(
            9018, f"firmware payload is {total - len(line)} bytes, its header says {size}"
        )
    sha = hashlib.sha256()
    while chunk := f.read(_CHUNK):
        sha.update(chunk)
    if sha.hexdigest() != digest:
        raise FirmwareError(9018, "firmware image checksum mismatch (file corrupted)")
    return _check_version(version, doc.get("product_class"), product_class)


def parse_firmware(data: bytes, product_class: str) -> str:
    """The version in a firmware image held in memory, after checking it; FirmwareError."""
    return _parse_firmware_stream(io.BytesIO(data), len(data), product_class)


def parse_firmware_file(path: Path, product_class: str) -> str:
    """The version in a firmware image on disk, checked in chunks (memory stays flat)."""
    with path.open("rb") as f:
        return _parse_firmware_stream(f, path.stat().st_size, product_class)
