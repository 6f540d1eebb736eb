"""Per-device identity: deterministic by seed, distinct across seeds, in the model's formats."""

from __future__ import annotations

import re
import uuid

import pytest

from printbench.common.clock import FakeClock
from printbench.emulator.identity import format_serial, make_identity
from printbench.emulator.profiles import build_printer


def _ident(seed: int):
    s = build_printer("color-laser-mfp", seed=seed, clock=FakeClock(), host="127.50.2.1")
    return (
        s.identity.serial_number,
        s.interfaces[0].mac_address,
        s.description.location,
        s.description.contact_name,
        s.description.contact_email,
        s.identity.asset_number,
        s.description.name,
        s.identity.uuid,
    )


def test_same_seed_same_device():
    assert _ident(7) == _ident(7)


def test_different_seeds_differ_in_every_per_unit_value():
    a, b = _ident(1), _ident(2)
    for x, y in zip(a, b, strict=True):
        assert x != y


def test_many_seeds_give_unique_serials_and_macs():
    serials, macs = set(), set()
    for seed in range(200):
        ident = make_identity(
            model_key="m",
            manufacturer="HP",
            model="X",
            oui="3CD92B",
            serial_format="CNB#######",
            host="127.50.2.2",
            seed=seed,
        )
        serials.add(ident.serial_number)
        macs.add(ident.mac_address)
    assert len(serials) == 200 and len(macs) == 200


def test_formats_follow_the_model():
    s = build_printer("color-laser-mfp", seed=3, clock=FakeClock(), host="127.50.2.3")
    assert re.fullmatch(r"CNB\d{7}", s.identity.serial_number)
    assert re.fullmatch(r"3c:d9:2b(:[0-9a-f]{2}){3}", s.interfaces[0].mac_address)
    mac6 = s.interfaces[0].mac_address.replace(":", "")[-6:].upper()
    assert s.description.name == f"NPI{mac6}"
    assert "@" in s.description.contact_email and s.description.contact_phone
    assert str(uuid.UUID(s.identity.uuid)) == s.identity.uuid
    assert s.interfaces[0].ipv4_address == "127.50.2.3"
    assert s.interfaces[0].subnet_mask == "255.255.0.0"


def test_serial_pattern_letters_and_digits():
    from faker import Faker

    fake = Faker()
    fake.seed_instance(1)
    assert re.fullmatch(r"VND[A-Z]{2}\d{5}", format_serial("VND??#####", fake))


def test_two_models_with_seed_zero_differ():
    a = build_printer("color-laser-mfp", seed=0, clock=FakeClock())
    b = build_printer("inkjet-office", seed=0, clock=FakeClock())
    assert a.description.location != b.description.location


def test_identity_does_not_depend_on_build_order() -> None:
    """Faker is shared per locale and re-seeded per device: the order printers are built in
    (a fleet's workers, a conformance target) must not change who they are."""
    from printbench.emulator.identity import make_identity

    args = dict(
        model_key="m", manufacturer="HP", model="X", oui="3CD92B",
        serial_format="CNB#######", host="127.1.0.1",
    )  # fmt: skip
    forward = [make_identity(**args, seed=s) for s in range(20)]
    backward = [make_identity(**args, seed=s) for s in reversed(range(20))][::-1]
    assert forward == backward
    assert len({i.serial_number for i in forward}) == 20


@pytest.mark.parametrize("host", ["127.1.0.1", "127.93.40.1", "10.20.30.254", "192.168.7.12"])
def test_the_gateway_is_in_the_printers_own_slash_24(host: str) -> None:
    """A /24 mask written by an ACS (scenario PARAM-002) must keep the gateway reachable: it
    was the /16's x.y.0.254, outside a /24 for every host not in x.y.0.z."""
    import ipaddress

    ident = make_identity(model_key="m", manufacturer="Acme", model="P1", oui="00C0EE",
                          serial_format="??####", host=host, seed=1)  # fmt: skip
    gateway = ipaddress.IPv4Address(ident.gateway)
    assert gateway in ipaddress.IPv4Network(f"{host}/24", strict=False)
    assert gateway in ipaddress.IPv4Network(f"{host}/{ident.subnet_mask}", strict=False)
    assert str(gateway) != host
