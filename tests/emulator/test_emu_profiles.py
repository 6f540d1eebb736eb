"""Profiles: every shipped model builds and is consistent; bad profiles fail with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from printbench.common.clock import FakeClock
from printbench.emulator.profiles import (
    ProfileError,
    build_printer,
    list_profiles,
    load_profile,
    parse_profile,
)

GOOD = (Path(__file__).parents[2] / "profiles" / "mono-desktop-laser.yaml").read_text()


def test_five_distinct_models_are_shipped():
    names = list_profiles()
    assert len(names) >= 5
    models = {(load_profile(n).manufacturer, load_profile(n).model) for n in names}
    assert len(models) == len(names)


@pytest.mark.parametrize("name", list_profiles())
def test_every_profile_builds_a_consistent_printer(name):
    profile = load_profile(name)
    state = build_printer(profile, seed=1, clock=FakeClock(), host="127.50.1.1")
    ident = profile.data["identity"]
    assert state.profile == name
    assert state.identity.oui == ident["oui"]
    assert state.interfaces[0].mac_address.replace(":", "").upper().startswith(ident["oui"])
    assert state.interfaces[0].ipv4_address == "127.50.1.1"
    assert state.identity.sys_object_id.startswith("1.3.6.1.4.1.")
    # indices are 1..n in every table, and cross references resolve
    for table in (
        "consoles",
        "covers",
        "input_trays",
        "output_trays",
        "markers",
        "colorants",
        "supplies",
    ):
        rows = state.table(table)
        assert [r.index for r in rows] == list(range(1, len(rows) + 1))
    for supply in state.supplies:
        assert 1 <= supply.marker_index <= len(state.markers)
        assert 0 <= supply.colorant_index <= len(state.colorants)
        if supply.max_capacity >= 0:
            assert supply.level <= supply.max_capacity
    process = sum(1 for c in state.colorants if c.role == "process")
    assert state.markers[0].process_colorants == process
    assert state.description.color_supported == (process > 1)
    assert state.defaults.media in state.description.media_supported
    for tray in state.input_trays:
        assert tray.media in state.description.media_supported
    assert state.consoles[0].display_buffer  # something on the panel
    # the whole state walks to plain values
    assert all(isinstance(v, (str, int, float, bool, tuple)) for _, v in state.walk())


def test_production_model_has_five_trays_and_a_finisher():
    state = build_printer("production-mono", clock=FakeClock())
    auto = [t for t in state.input_trays if t.tray_type != "sheetFeedManual"]
    assert len(auto) >= 5 or len(state.input_trays) >= 5
    assert state.finishers and state.description.pages_per_minute >= 100


def _bad(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"),
    [
        (
            "supply_type: toner,",
            "supply_type: tonerr,",
            "tonerr",
            "supplies[1].supply_type: expected one of other, unknown, toner,",
        ),
        (
            "  model: ECOSYS P2040dw\n",
            "  model: ECOSYS P2040dw\n  colour: red\n",
            "colour: red",
            "identity.colour: unknown key",
        ),
        (
            "pages_per_minute: 40",
            "pages_per_minute: fast",
            "pages_per_minute: fast",
            "description.pages_per_minute: expected an integer, got string 'fast'",
        ),
        (
            "color_supported: false",
            "color_supported: 0",
            "color_supported: 0",
            "expected true or false",
        ),
        ("  oui: 00C0EE\n", "", "identity:", "identity: missing required key(s): oui"),
        (
            "  oui: 00C0EE",
            "  oui: 00c0ee",
            "oui: 00c0ee",
            "identity.oui: expected six upper-case hex digits",
        ),
        (
            "colorant: black, per_page",
            "colorant: cyan, per_page",
            "colorant: cyan",
            "supplies[1].colorant: expected one of the colorants (black)",
        ),
        (
            "capacity: 250, low_threshold: 25",
            "capacity: 250, level: 300, low_threshold: 25",
            "level: 300",
            "input_trays[2].level: expected at most capacity 250",
        ),
        (
            "tray_type: sheetFeedManual",
            "tray_type: [sheetFeedManual]",
            "tray_type: [sheetFeedManual]",
            "input_trays[1].tray_type: expected a string, got a list",
        ),
        (
            "process_colorants: 1}",
            "process_colorants: 4}",
            "process_colorants: 4",
            "markers[1].process_colorants: expected 1",
        ),
    ],
)
def test_validation_reports_file_line_and_expectation(old, new, needle, expected):
    text = _bad(old, new)
    with pytest.raises(ProfileError) as err:
        parse_profile(text, source="profiles/x.yaml")
    message = str(err.value)
    assert message.startswith(f"profiles/x.yaml:{_line_of(text, needle)}: "), message
    assert expected in message


def test_duplex_default_needs_a_duplex_path():
    text = _bad("path_type: longEdgeBindingDuplex", "path_type: simplex")
    with pytest.raises(
        ProfileError, match=r"profiles/x.yaml:\d+: defaults.sides: expected one-sided"
    ):
        parse_profile(text, source="profiles/x.yaml")


def test_yaml_syntax_error_has_a_line():
    text = GOOD.replace("summary: ", "summary: [unclosed ", 1)
    with pytest.raises(ProfileError, match=r"^profiles/x.yaml:\d+: not valid YAML"):
        parse_profile(text, source="profiles/x.yaml")


def test_duplicate_key_is_refused():
    text = GOOD.replace(
        "  manufacturer: Kyocera\n", "  manufacturer: Kyocera\n  manufacturer: Other\n", 1
    )
    with pytest.raises(ProfileError, match=r"identity.manufacturer: duplicate key"):
        parse_profile(text, source="profiles/x.yaml")


def test_unknown_profile_name_lists_the_known_ones():
    with pytest.raises(ProfileError, match=r"no profile named 'nope'.*color-laser-mfp"):
        load_profile("nope")


def test_profile_name_must_match_file(tmp_path):
    path = tmp_path / "other-name.yaml"
    path.write_text(GOOD)
    with pytest.raises(
        ProfileError, match=r"other-name.yaml:\d+: name: expected the file's name 'other-name'"
    ):
        load_profile(path)
