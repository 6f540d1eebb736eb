"""The fleet's inventory: every device with its addresses, ports, identity and credentials.

Written as JSON and CSV so the CWMP proxy and third-party tools (an NMS, a spreadsheet, a
GenieACS provisioning script) can find the printers:

* ``FILE.json``: ``{"fleet": {...}, "printers": [...], "devices": [...]}``. ``printers`` holds
  exactly the fields the CWMP proxy's printers file knows (``cwmp_proxy.inventory``), so
  ``printbench proxy --printers FILE.json`` reads it as it is; ``devices`` holds everything.
* ``FILE.csv``: one row per device with every column of ``devices``.
* ``FILE-printers.csv``: the proxy's columns only (its CSV reader rejects unknown columns).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

COLUMNS: tuple[str, ...] = (
    "id", "index", "worker", "address", "profile", "manufacturer", "model", "serial",
    "device_id", "snmp_port", "community", "write_community", "v3_user", "v3_auth_protocol",
    "v3_auth_key", "v3_priv_protocol", "v3_priv_key", "ipp_uri", "ews_url", "ews_username",
    "ews_password", "control_url", "cr_url", "cr_username", "cr_password", "acs_url",
)  # fmt: skip

PROXY_COLUMNS: tuple[str, ...] = (
    "address", "protocols", "name", "snmp_port", "snmp_version", "community",
    "write_community", "v3_user", "v3_auth_protocol", "v3_auth_key", "v3_priv_protocol",
    "v3_priv_key", "ipp_uri", "ews_url", "ews_username", "ews_password",
)  # fmt: skip


class InventoryError(ValueError):
    """An inventory file that cannot be read; the message names the file (and line)."""


def device_record(device: Any, worker: int = 0) -> dict[str, Any]:
    """One device (a ``FleetDevice``) as an inventory row."""
    s = device.state
    p = device.ports
    host = device.host
    snmp = s.snmp
    mg = s.management
    return {
        "id": f"printer-{device.index + 1:05d}",
        "index": device.index,
        "worker": worker,
        "address": host,
        "profile": s.profile,
        "manufacturer": s.identity.manufacturer,
        "model": s.identity.model,
        "serial": s.identity.serial_number,
        "device_id": device.device_id,
        "snmp_port": p.snmp,
        "community": snmp.read_community,
        "write_community": snmp.write_community,
        "v3_user": snmp.v3_user if snmp.v3_enabled else "",
        "v3_auth_protocol": snmp.v3_auth_protocol,
        "v3_auth_key": snmp.v3_auth_key if snmp.v3_enabled else "",
        "v3_priv_protocol": snmp.v3_priv_protocol,
        "v3_priv_key": snmp.v3_priv_key if snmp.v3_enabled else "",
        "ipp_uri": f"ipp://{host}:{p.ipp}/ipp/print",
        "ews_url": f"http://{host}:{p.ews}/",
        "ews_username": s.admin.username,
        "ews_password": s.admin.password,
        "control_url": f"http://{host}:{p.control}/api/",
        "cr_url": device.cpe.connection_request_url if device.cpe is not None else "",
        "cr_username": mg.connection_request_username,
        "cr_password": mg.connection_request_password,
        "acs_url": mg.acs_url,
    }


def proxy_entry(rec: dict[str, Any]) -> dict[str, Any]:
    """The CWMP proxy's printers-file entry of an inventory row."""
    out = {
        "address": rec["address"],
        "protocols": ["snmp", "ipp", "ews"],
        "name": rec["id"],
        "snmp_port": rec["snmp_port"],
        "snmp_version": "2c",
        "community": rec["community"],
        "write_community": rec["write_community"],
        "ipp_uri": rec["ipp_uri"],
        "ews_url": rec["ews_url"],
        "ews_username": rec["ews_username"],
        "ews_password": rec["ews_password"],
    }
    if rec.get("v3_user"):
        out.update({k: rec[k] for k in ("v3_user", "v3_auth_protocol", "v3_auth_key",
                                         "v3_priv_protocol", "v3_priv_key")})  # fmt: skip
    return out


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


def write_inventory(path: str | Path, records: list[dict[str, Any]],
                    meta: dict[str, Any] | None = None) -> list[Path]:  # fmt: skip
    """Write ``path`` (.json or .csv; the other format and the proxy CSV beside it)."""
    path = Path(path)
    stem = path.with_suffix("")
    records = sorted(records, key=lambda r: r["index"])
    json_path, csv_path = stem.with_suffix(".json"), stem.with_suffix(".csv")
    proxy_csv = stem.with_name(stem.name + "-printers.csv")
    doc = {"fleet": meta or {}, "printers": [proxy_entry(r) for r in records], "devices": records}
    _atomic_write(json_path, json.dumps(doc, indent=1))
    _atomic_write(csv_path, _csv(records, COLUMNS))
    rows = []
    for r in records:
        e = proxy_entry(r)
        e["protocols"] = ";".join(e["protocols"])
        rows.append(e)
    _atomic_write(proxy_csv, _csv(rows, PROXY_COLUMNS))
    return [json_path, csv_path, proxy_csv]


def _csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def read_inventory(path: str | Path) -> list[dict[str, Any]]:
    """The device rows of an inventory file (.json or .csv)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InventoryError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        missing = [c for c in ("address", "serial") if c not in (reader.fieldnames or [])]
        if missing:
            raise InventoryError(f"{path}:1: missing column(s) {', '.join(missing)}")
        out = []
        for row in reader:
            for k in ("index", "worker", "snmp_port"):
                if row.get(k):
                    try:
                        row[k] = int(row[k])
                    except ValueError:
                        raise InventoryError(
                            f"{path}:{reader.line_num}: {k} {row[k]!r} is not a number"
                        ) from None
            out.append(row)
        return out
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise InventoryError(f"{path}: not JSON: {exc}") from None
    devices = doc.get("devices") if isinstance(doc, dict) else None
    if not isinstance(devices, list):
        raise InventoryError(f"{path}: expected an object with a 'devices' list")
    return devices
