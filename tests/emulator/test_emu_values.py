"""The one rule for values every face can carry, enforced where every write goes through
(``emulator.state``): issue 17 items 1, 5 and 6."""

from __future__ import annotations

import pytest

from printbench.common.clock import FakeClock
from printbench.emulator import state as st
from printbench.emulator.profiles import build_printer


def _printer() -> st.PrinterState:
    return build_printer("color-laser-mfp", seed=1, clock=FakeClock())


@pytest.mark.parametrize(
    "value", ["Front\x00desk", "TR\nLoc", "a\tb", "a\rb", "a\x7fb", "a\x85b", "a\ud800b", "\uffff"]
)
def test_emu_state_refuses_text_no_face_can_carry(value: str) -> None:
    s = _printer()
    before = s.description.location
    with pytest.raises(st.ValueRejected) as info:
        s.set("description.location", value)
    assert info.value.path == "description.location" and "U+" in str(info.value)
    with pytest.raises(st.ValueRejected):
        s.description.location = value  # the attribute write every face's setter ends in
    assert s.description.location == before


def test_emu_state_accepts_unicode_text_and_checks_keywords() -> None:
    s = _printer()
    s.set("description.location", "Büro 2 – Empfang ✓")
    assert s.description.location == "Büro 2 – Empfang ✓"
    with pytest.raises(st.ValueRejected):
        s.set("input_trays.1.media", "Plain A4")  # IPP sends it as a keyword: RFC 8011 §5.1.4
    s.set("input_trays.1.media", "na_letter_8.5x11in")
    assert s.input_trays[0].media == "na_letter_8.5x11in"


def test_emu_every_profile_value_fits_the_rule() -> None:
    from pathlib import Path

    for path in sorted((Path(__file__).parents[2] / "profiles").glob("*.yaml")):
        s = build_printer(path.stem, seed=2, clock=FakeClock())
        for p, value in s.walk():
            node_path, _, name = p.rpartition(".")
            node = s.get(node_path) if node_path else s
            st.check_value(node, name, value)  # raises ValueRejected naming the path
