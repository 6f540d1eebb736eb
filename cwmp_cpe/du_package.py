"""The printbench Deployment Unit file: what ChangeDUState Install/Update fetches.

Shaped like the firmware image (``emulator.firmware``): one line of JSON, a newline, then
the payload, checked as a stream (a DU can be tens of MB; it is never held in memory)::

    {"printbench-du": 1, "name": "...", "vendor": "...", "version": "1.2.0",
     "ee_type": "...", "description": "...",
     "units": [{"name": "...", "auto_start": false, ...}],
     "size": <payload bytes>, "sha256": "<hex SHA-256 of the payload>"}\\n<payload>

A file that is not such a DU, or whose payload does not match its size and digest, is
refused with 9018 (file corrupted, allowed in DeploymentUnitFaultStruct by cwmp-1-2.xsd).
Shared by the embedded client and anything else that installs DUs (EWS, control API).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from printbench.cwmp.du import DuFault, Package, UnitSpec

MAX_HEADER = 16 * 1024
_CHUNK = 64 * 1024
_TEXT_FIELDS = ("name", "vendor", "version", "ee_type", "description")


def package_header(pkg: Package, sha256: str) -> bytes:
    doc: dict[str, Any] = {
        "printbench-du": 1,
        "name": pkg.name,
        "vendor": pkg.vendor,
        "version": pkg.version,
        "ee_type": pkg.ee_type,
        "description": pkg.description,
        "units": [
            {
                "name": u.name,
                "vendor": u.vendor,
                "version": u.version,
                "description": u.description,
                "auto_start": u.auto_start,
            }
            for u in pkg.units
        ],
        "size": pkg.size,
        "sha256": sha256,
    }
    return json.dumps(doc).encode() + b"\n"


def make_package(pkg: Package, payload: bytes = b"module") -> bytes:
    """A DU file in memory (tests, the EWS's sample modules)."""
    pkg = Package(**{**pkg.__dict__, "size": len(payload)})
    return package_header(pkg, hashlib.sha256(payload).hexdigest()) + payload


def _pattern(size: int) -> Iterator[bytes]:
    block = bytes(range(256)) * 256
    left = size
    while left > 0:
        chunk = block[: min(left, len(block))]
        left -= len(chunk)
        yield chunk


def write_package(path: Path, pkg: Package, size: int) -> Path:
    """A DU file of ``size`` payload bytes on disk, written in chunks (large-DU tests)."""
    h = hashlib.sha256()
    for chunk in _pattern(size):
        h.update(chunk)
    pkg = Package(**{**pkg.__dict__, "size": size})
    with path.open("wb") as f:
        f.write(package_header(pkg, h.hexdigest()))
        for chunk in _pattern(size):
            f.write(chunk)
    return path


def _header(doc: Any) -> Package:
    if not isinstance(doc, dict) or doc.get("printbench-du") != 1:
        raise DuFault(9018, "not a printbench Deployment Unit file")
    for key in _TEXT_FIELDS:
        value = doc.get(key, "")
        if not isinstance(value, str) or not value.isprintable() or len(value) > 256:
            raise DuFault(9018, f"DU header field {key!r} is not printable text of <= 256")
    if not doc.get("name") or not doc.get("version") or not doc.get("ee_type"):
        raise DuFault(9018, "DU header lacks name, version or ee_type")
    units_doc = doc.get("units", [])
    if not isinstance(units_doc, list) or len(units_doc) > 64:
        raise DuFault(9018, "DU header units must be a list of at most 64")
    units = []
    for i, u in enumerate(units_doc):
        if not isinstance(u, dict) or not isinstance(u.get("name"), str) or not u["name"]:
            raise DuFault(9018, f"DU header units[{i}] has no name")
        texts = {k: u.get(k, "") for k in ("name", "vendor", "version", "description")}
        if any(not isinstance(v, str) or not v.isprintable() or len(v) > 256
               for v in texts.values()):  # fmt: skip
            raise DuFault(9018, f"DU header units[{i}] has a field that is not short text")
        units.append(UnitSpec(**texts, auto_start=bool(u.get("auto_start", False))))
    size = doc.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise DuFault(9018, "DU header size is not a byte count")
    return Package(
        name=doc["name"], vendor=doc.get("vendor", ""), version=doc["version"],
        ee_type=doc["ee_type"], description=doc.get("description", ""),
        units=tuple(units), size=size,
    )  # fmt: skip


def parse_package_stream(f: IO[bytes]) -> Package:
    """Read and check a DU file from ``f``: header, then the payload hashed in chunks."""
    line = f.readline(MAX_HEADER + 1)
    if not line.endswith(b"\n") or len(line) > MAX_HEADER:
        raise DuFault(9018, "not a printbench Deployment Unit file (no header line)")
    try:
        doc = json.loads(line)
    except ValueError:
        raise DuFault(9018, "DU header is not JSON") from None
    pkg = _header(doc)
    digest = doc.get("sha256")
    h = hashlib.sha256()
    got = 0
    while True:
        chunk = f.read(_CHUNK)
        if not chunk:
            break
        got += len(chunk)
        if got > pkg.size:
            raise DuFault(9018, f"DU payload longer than the {pkg.size} bytes its header says")
        h.update(chunk)
    if got != pkg.size:
        raise DuFault(9018, f"DU payload is {got} bytes, its header says {pkg.size}")
    if not isinstance(digest, str) or h.hexdigest() != digest.lower():
        raise DuFault(9018, "DU payload SHA-256 does not match its header (file corrupted)")
    return pkg


def parse_package_file(path: Path) -> Package:
    with path.open("rb") as f:
        return parse_package_stream(f)


def parse_package(data: bytes) -> Package:
    import io

    return parse_package_stream(io.BytesIO(data))
