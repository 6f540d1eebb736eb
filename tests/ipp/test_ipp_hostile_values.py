"""Values written through IPP must be ones every other face can carry (issue 17, items 1, 6).

A Set-Printer-Attributes of ``printer-info="Front\\x00desk"`` used to be accepted and then cut
the printer off from TR-069 (XML 1.0 cannot carry U+0000); an SNMP write of a free-text media
name made IPP send keywords with a space."""

from __future__ import annotations

import pytest

from printbench.ipp.codec import Tag

SET, GPA = 0x13, 0x0B
ATTRIBUTES_OR_VALUES_NOT_SUPPORTED = 0x040B  # RFC 8011 §B.1.4.12


@pytest.mark.parametrize(
    "name,value",
    [
        ("printer-info", "Front\x00desk"),
        ("printer-location", "Hall\nB"),
        ("printer-location", "Hall\x7fB"),
        ("printer-info", "bad\ufffe"),
    ],
)
async def test_ipp_set_printer_attributes_refuses_what_other_faces_cannot_carry(
    ipp_server, ipp_call, ipp_request, name: str, value: str
) -> None:
    state = ipp_server.devices[next(iter(ipp_server.devices))].state
    before = (state.description.info, state.description.location)
    resp = await ipp_call(
        ipp_server, ipp_request(SET, ipp_server.uri(), (f"printer:{name}", Tag.TEXT, value))
    )
    assert resp.code == ATTRIBUTES_OR_VALUES_NOT_SUPPORTED
    unsupported = resp.group(0x05)
    assert unsupported is not None and [a.name for a in unsupported.attributes] == [name]
    assert (state.description.info, state.description.location) == before


async def test_ipp_set_printer_attributes_keeps_accepting_plain_text(
    ipp_server, ipp_call, ipp_request
) -> None:
    state = ipp_server.devices[next(iter(ipp_server.devices))].state
    resp = await ipp_call(
        ipp_server,
        ipp_request(SET, ipp_server.uri(), ("printer:printer-info", Tag.TEXT, "Büro 2 – Empfang")),
    )
    assert resp.code == 0 and state.description.info == "Büro 2 – Empfang"


async def test_ipp_stays_valid_after_an_snmp_free_text_media_name(
    ipp_server, ipp_call, ipp_request, ipp_workdir
) -> None:
    """Issue 17 item 6: ``prtInputMediaName.1.2 = "Plain A4"`` is a valid SNMP write (RFC 3805
    makes it free text); IPP must still send keywords (RFC 8011 §5.1.4), checked by ipptool's
    get-printer-attributes test, and SNMP reads back what it wrote."""
    from printbench.emulator.snmp.agent import SnmpAgent
    from printbench.ipp.codec import GroupTag
    from tests.ipp.test_ipp_ipptool import ipptool
    from tests.snmp.snmp_support import run

    host = next(iter(ipp_server.devices))
    device = ipp_server.devices[host]
    agent = SnmpAgent()
    _, port = await agent.add_device(device, host, 0)
    oid = "1.3.6.1.2.1.43.8.2.1.12.1.2"
    try:
        rc, _out, err = await run(
            "snmpset", "-v2c", "-c", "private", f"{host}:{port}", oid, "s", "Plain A4"
        )
        assert rc == 0, err
        rc, out, err = await run("snmpget", "-v2c", "-c", "public", "-Oqv", f"{host}:{port}", oid)
        assert rc == 0 and out.strip() == '"Plain A4"', (out, err)
    finally:
        await agent.close()
    tray = device.state.input_trays[1]
    assert tray.media == "iso_a4_210x297mm"  # the size the free text names, as a PWG keyword
    resp = await ipp_call(
        ipp_server,
        ipp_request(GPA, ipp_server.uri(), ("requested-attributes", Tag.KEYWORD, "all")),
    )
    attrs = {a.name: a for a in resp.group(GroupTag.PRINTER).attributes}
    assert all(" " not in v for v in attrs["media-ready"].values)
    infos = [
        m.values[0]
        for col in attrs["media-col-ready"].values
        for m in col
        if m.name == "media-info"
    ]
    assert infos == ["Plain A4"]  # the free text rides as text (PWG 5100.7 media-info)
    result = await ipptool(ipp_workdir, "-t", ipp_server.uri(), "get-printer-attributes.test")
    assert not result.names("FAIL") and result.returncode == 0, result.failure_report()


def test_ipp_media_keyword_mapping() -> None:
    from printbench.emulator.state import media_keyword

    assert media_keyword("iso_a4_210x297mm") == "iso_a4_210x297mm"
    assert media_keyword("na_letter_8.5x11in") == "na_letter_8.5x11in"
    assert media_keyword("Plain A4") == "iso_a4_210x297mm"
    assert media_keyword("LETTER plain") == "na_letter_8.5x11in"
    assert media_keyword("Company letterhead") is None  # "letterhead" is not "letter"
    assert media_keyword("Glossy photo") is None
