"""SNMP SET of text no other face can carry answers wrongValue (issue 17, items 1 and 5),
checked with net-snmp's snmpset as the real peer.

RFC 2579 DisplayString: "the sequence 'CR x' for any x other than LF or NUL is illegal"; the
state's one rule goes further for every face (no control characters at all: XML 1.0 §2.2
Char for TR-069, single-line EWS and IPP fields), see ``emulator.state.text_problem``."""

from __future__ import annotations

import pytest

from tests.snmp.snmp_support import Served, run

SYS_LOCATION = "1.3.6.1.2.1.1.6.0"
PRIVATE = ["-v2c", "-c", "private"]


@pytest.mark.parametrize(
    "hex_value",
    [
        "54520A4C6F63",  # "TR\nLoc"
        "610962",  # "a\tb"
        "610D62",  # "a\rb": CR not followed by LF or NUL (RFC 2579)
        "617F62",  # DEL
        "46726F6E74006465736B",  # "Front\0desk": XML 1.0 cannot carry U+0000
        "61C28562",  # U+0085 (C1 NEL) in UTF-8
    ],
)
async def test_snmp_set_of_control_characters_is_wrong_value(
    served: Served, hex_value: str
) -> None:
    before = served.device.state.description.location
    rc, _out, err = await run("snmpset", *PRIVATE, served.target, SYS_LOCATION, "x", hex_value)
    assert rc != 0 and "wrongValue" in err, err
    assert served.device.state.description.location == before


async def test_snmp_set_of_utf8_text_is_still_accepted(served: Served) -> None:
    rc, _out, err = await run("snmpset", *PRIVATE, served.target, SYS_LOCATION, "s", "Büro 2")
    assert rc == 0, err
    assert served.device.state.description.location == "Büro 2"
