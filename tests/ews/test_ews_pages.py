"""Pure tests of the EWS page models, field validation and all-or-nothing writes."""

from __future__ import annotations

import pytest

from printbench.common.clock import FakeClock
from printbench.emulator.ews import pages
from printbench.emulator.ews.fields import Field, FieldError, from_form, from_json, validate
from printbench.emulator.profiles import build_printer
from printbench.emulator.state import ChangeEvent, PrinterState


@pytest.fixture
def state() -> PrinterState:
    return build_printer("color-laser-mfp", seed=3, clock=FakeClock(), host="127.40.200.1")


def test_every_page_accepts_its_own_values(state: PrinterState) -> None:
    """A freshly built printer's values pass validation on every page (no form is locked)."""
    for slug, page in pages.config_pages(state).items():
        changes, errors = pages.parse_json(state, page, pages.page_values(state, page))
        assert (slug, errors, changes) == (slug, {}, [])


def test_pages_cover_the_seed_table(state: PrinterState) -> None:
    slugs = set(pages.config_pages(state))
    assert {
        "tcpip", "dns", "smtp", "ftp", "http", "lpd", "snmp", "time", "email-alerts",
        "finishing", "print-settings", "printer-info", "defaults", "tr069",
    } <= slugs  # fmt: skip
    # Field names are state paths that exist.
    for page in pages.config_pages(state).values():
        for f in page.fields:
            state.get(f.path)


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("ipv4", "192.0.2.1", "192.0.2.1"),
        ("netmask", "255.255.255.0", "255.255.255.0"),
        ("host", "mail.example.com", "mail.example.com"),
        ("host", "192.0.2.7", "192.0.2.7"),
        ("email", "ops@example.com", "ops@example.com"),
        ("url", "https://acs.example.com:7547/cwmp", "https://acs.example.com:7547/cwmp"),
        ("datetime", "2026-01-01T02:00:00Z", "2026-01-01T02:00:00Z"),
        ("phone", "+1 (555) 010-2000 x12", "+1 (555) 010-2000 x12"),
    ],
)
def test_good_values(kind: str, raw: str, expected: str) -> None:
    assert validate(Field("x.y", "X", kind), raw, "") == expected


@pytest.mark.parametrize(
    ("kind", "raw", "fragment"),
    [
        ("ipv4", "300.1.1.1", "not an IPv4 address"),
        ("ipv4", "224.0.0.1", "not a unicast"),
        ("netmask", "255.0.255.0", "not a subnet mask"),
        ("host", "bad_host!", "not a valid host name"),
        ("host", "1.2.3", "not an IPv4 address"),
        ("email", "no-at-sign", "not an e-mail address"),
        ("url", "ftp://x", "not an http:// or https:// URL"),
        ("datetime", "yesterday", "not a date and time"),
        ("text", "a\x00b", "control characters"),
        ("text", "x" * 300, "too long"),
    ],
)
def test_bad_values(kind: str, raw: str, fragment: str) -> None:
    with pytest.raises(FieldError, match=fragment):
        validate(Field("x.y", "X", kind), raw, "")


def test_lists_ranges_and_types() -> None:
    hp = Field("snmp.trap_destinations", "Traps", "hostport_list", max_items=2)
    assert from_form(hp, ["192.0.2.5:162\nnms.example.com:1162"], ()) == (
        "192.0.2.5:162",
        "nms.example.com:1162",
    )
    with pytest.raises(FieldError, match="port must be a number"):
        from_form(hp, ["192.0.2.5:99999"], ())
    with pytest.raises(FieldError, match="too many entries"):
        from_form(hp, ["a.example:1,b.example:2,c.example:3"], ())
    with pytest.raises(FieldError, match="listed twice"):
        from_json(hp, ["a.example:1", "a.example:1"], ())
    port = Field("network.smtp_port", "Port", "int", min=1, max=65535)
    assert from_form(port, [" 587 "], 25) == 587
    for bad in (["0"], ["65536"], ["5.5"], ["1e3"], [""], [], ["1", "2"]):
        with pytest.raises(FieldError):
            from_form(port, bad, 25)
    for bad_json in (True, "25", 2.5, None, [25]):
        with pytest.raises(FieldError, match="whole number"):
            from_json(port, bad_json, 25)
    flag = Field("network.ftp_enabled", "FTP", "bool")
    assert from_form(flag, [], True) is False
    assert from_form(flag, ["on"], False) is True
    with pytest.raises(FieldError, match="true or false"):
        from_json(flag, 1, False)


def test_form_errors_are_per_field_and_change_nothing(state: PrinterState) -> None:
    page = pages.config_pages(state)["smtp"]
    before = list(state.walk())
    changes, errors = pages.parse_form(
        state,
        page,
        {
            "network.smtp_server": ["mail.example.com"],
            "network.smtp_port": ["70000"],
            "network.smtp_from": ["printer@example.com"],
            "bogus.field": ["1"],
        },
    )
    assert changes == []
    assert set(errors) == {"network.smtp_port", pages.FORM_ERROR}
    assert "at most 65535" in errors["network.smtp_port"]
    assert "bogus.field" in errors[pages.FORM_ERROR]
    assert list(state.walk()) == before


def test_cross_field_checks(state: PrinterState) -> None:
    all_pages = pages.config_pages(state)
    _, errors = pages.parse_json(
        state, all_pages["time"], {"time.ntp_enabled": True, "time.ntp_server": ""}
    )
    assert "required when NTP" in errors["time.ntp_server"]
    _, errors = pages.parse_json(
        state, all_pages["snmp"], {"snmp.write_community": state.snmp.read_community}
    )
    assert "must differ" in errors["snmp.write_community"]
    _, errors = pages.parse_json(
        state,
        all_pages["email-alerts"],
        {"email_alerts.enabled": True, "email_alerts.recipients": []},
    )
    assert "recipient" in errors["email_alerts.recipients"]
    tcp = all_pages["tcpip"]
    ip = tcp.fields[0].path.rsplit(".", 1)[0]
    _, errors = pages.parse_json(
        state,
        tcp,
        {
            f"{ip}.dhcp": False,
            f"{ip}.ipv4_address": "192.0.2.10",
            f"{ip}.subnet_mask": "255.255.255.0",
            f"{ip}.gateway": "198.51.100.1",
        },
    )
    assert "not in the printer's subnet" in errors[f"{ip}.gateway"]


def test_json_changes_are_applied_through_state_set(state: PrinterState) -> None:
    events: list[ChangeEvent] = []
    state.subscribe(events.append)
    page = pages.config_pages(state)["snmp"]
    changes, errors = pages.parse_json(
        state,
        page,
        {
            "snmp.trap_destinations": ["192.0.2.9:162"],
            "snmp.v3_auth_key": None,
            "snmp.v1v2c_enabled": True,
        },
    )
    assert errors == {}
    pages.apply_changes(state, changes)
    assert state.snmp.trap_destinations == ("192.0.2.9:162",)
    assert [e.path for e in events] == ["snmp.trap_destinations"]  # unchanged values: no event


def test_apply_is_all_or_nothing(state: PrinterState) -> None:
    before = list(state.walk())
    with pytest.raises(pages.ApplyError):
        pages.apply_changes(
            state, [("description.location", "Lab 7"), ("description.pages_per_minute", "fast")]
        )
    assert list(state.walk()) == before


def test_secrets_are_write_only(state: PrinterState) -> None:
    page = pages.config_pages(state)["tr069"]
    assert pages.page_values(state, page)["management.password"] is None
    changes, errors = pages.parse_form(
        state,
        page,
        {
            f.path: [str(v)]
            for f, v in ((f, state.get(f.path)) for f in page.fields)
            if f.kind != "bool"
        }
        | {"management.password": [""]},
    )
    assert errors == {} and "management.password" not in dict(changes)
    dump = pages.state_dump(state)
    assert dump["admin.password"] is None and dump["snmp.v3_priv_key"] is None
    assert dump["description.name"] == state.description.name


def test_status_model_follows_the_engine(state: PrinterState) -> None:
    from printbench.emulator.behaviour import PrinterEngine

    clock = FakeClock()
    engine = PrinterEngine(state, clock)
    before = pages.status_model(state, clock.monotonic())
    engine.submit_job(pages=10)
    engine.finish_all()
    after = pages.status_model(state, clock.monotonic())
    assert after["counters"]["total_impressions"] == before["counters"]["total_impressions"] + 10
    assert sum(m["total_sheets"] for m in after["media_used"]) == after["counters"]["total_sheets"]
    toner = [s for s in after["supplies"] if s["colorant"]]
    assert len(toner) == 4 and all(s["css_color"] != pages.NEUTRAL_CSS for s in toner)
    engine.inject("jam")
    jammed = pages.status_model(state, clock.monotonic())
    assert any(a["code"] == "jam" for a in jammed["alerts"])
