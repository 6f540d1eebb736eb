"""Per-device identity: serial number, MAC address, location, contact, ... from Faker.

Two printers of one model must differ the way two real units do (serial number, MAC in the
vendor's OUI, where they stand, who looks after them), and a given (model, seed) must give the
same device every run so tests, fleets and conformance reports are reproducible. Faker is
seeded per device; nothing here reads global random state.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import string
import uuid
import zlib
from dataclasses import dataclass

from faker import Faker

#: uuid5 namespace for printer UUIDs (RFC 4122 URL namespace applied to this tool's name).
PRINTER_UUID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://printbench.invalid/printer")


@dataclass(frozen=True)
class DeviceIdentity:
    """Everything that differs between two units of one model."""

    serial_number: str
    mac_address: str  # colon-separated lower-case hex
    hostname: str
    location: str
    contact_name: str
    contact_email: str
    contact_phone: str
    asset_number: str
    uuid: str  # urn:uuid:... form is left to the faces; this is the bare UUID
    ipv4_address: str
    subnet_mask: str
    gateway: str


@functools.cache
def _faker(locale: str) -> Faker:
    """One Faker per locale, re-seeded for every device: building a Faker loads its
    providers, which was most of a printer's build time in a fleet of thousands.
    seed_instance() resets the instance's own random state, so the output for a given
    (model, seed) is the same as with a fresh Faker.

    ``use_weighting=False``: Faker otherwise draws names and cities by their frequency in the
    population, through a weighted-choice path that took 0.8 ms of a printer's 2.5 ms build
    (six draws); uniform draws take a sixth of that, and a fleet's contacts and locations need
    to differ, not to follow census frequencies."""
    return Faker(locale, use_weighting=False)


def format_serial(pattern: str, fake: Faker) -> str:
    """Fill ``pattern``: ``#`` a digit, ``?`` an upper-case letter, anything else literal."""
    return fake.bothify(pattern, letters=string.ascii_uppercase)


def device_seed(model_key: str, seed: int) -> int:
    """A stable seed for one device: differs per model so seed 0 of two models differ."""
    return (zlib.crc32(model_key.encode()) << 20) ^ (seed & 0xFFFFFFFFFFF)


def make_identity(
    *,
    model_key: str,
    manufacturer: str,
    model: str,
    oui: str,
    serial_format: str,
    host: str,
    seed: int = 0,
    locale: str = "en_US",
    hostname_format: str = "",
) -> DeviceIdentity:
    """The identity of unit ``seed`` of a model, deterministic in all its arguments."""
    fake = _faker(locale)
    fake.seed_instance(device_seed(model_key, seed))
    rnd = fake.random
    serial = format_serial(serial_format, fake)
    tail = [rnd.randrange(256) for _ in range(3)]
    mac = ":".join([oui[0:2], oui[2:4], oui[4:6]] + [f"{b:02X}" for b in tail]).lower()
    mac6 = "".join(f"{b:02X}" for b in tail)
    brand = "".join(ch for ch in manufacturer.split()[0] if ch.isalnum()).upper()[:4] or "PRN"
    hostname = (hostname_format or f"{brand}{mac6}").format(
        mac6=mac6, serial=serial, brand=brand, model=model
    )
    hostname = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in hostname)[:63]
    building = rnd.choice(["Building", "Block", "Wing", "Hall"])
    location = (
        f"{fake.city()}, {building} {rnd.choice(string.ascii_uppercase[:8])}, "
        f"Floor {rnd.randint(0, 12)}, Room {rnd.randint(1, 40):02d}{rnd.randint(0, 9)}"
    )[:127]
    first, last = fake.first_name(), fake.last_name()
    domain = fake.domain_name()
    email = f"{first}.{last}@{domain}".lower().replace(" ", "").replace("'", "")
    phone = fake.phone_number()
    asset = f"AST-{rnd.randint(0, 999999):06d}"
    ip = ipaddress.IPv4Address(host)
    net = ipaddress.IPv4Network(f"{ip}/16", strict=False)
    # The router sits in the printer's own /24, as on most office LANs: then the gateway stays
    # inside the subnet whether an ACS or an administrator narrows the mask to /24 or not
    # (it was the /16's .0.254, which a /24 mask put outside for every host not in x.y.0.z,
    # and the EWS rightly refused such a write).
    lan = ipaddress.IPv4Network(f"{ip}/24", strict=False)
    gateway = str(lan.network_address + (254 if ip != lan.network_address + 254 else 253))
    return DeviceIdentity(
        serial_number=serial,
        mac_address=mac,
        hostname=hostname,
        location=location,
        contact_name=f"{first} {last}",
        contact_email=email,
        contact_phone=phone,
        asset_number=asset,
        uuid=str(uuid.uuid5(PRINTER_UUID_NAMESPACE, f"{manufacturer}:{model}:{serial}")),
        ipv4_address=str(ip),
        subnet_mask=str(net.netmask),
        gateway=gateway,
    )


def cr_credentials(serial: str, seed: int) -> tuple[str, str]:
    """The factory connection-request credentials of a device (stable per serial and seed).

TR-069 §3.2.2: the CPE MUST authenticate every Connection Request, so a printer ships with
credentials (real CPEs print theirs on a label); an ACS usually replaces them through
ConnectionRequestUsername/Password. ``printbench printer`` prints them on its tr069 line.
"""
    digest = hashlib.blake2s(f"{seed}:{serial}".encode(), digest_size=8).hexdigest()
    return f"cr-{serial}", digest
