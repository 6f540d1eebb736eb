"""ParamType remembers values that passed its facets (a device reads the same values in every
Inform) without ever letting an invalid one through, and the memo stays bounded."""

from __future__ import annotations

import pytest

from printbench.cwmp import types as t
from printbench.cwmp.params import _split_name


def test_a_remembered_type_still_rejects_bad_values() -> None:
    version = t.string(max_length=8, pattern_steps=((r"[0-9]+\.[0-9]+",),))
    assert version.validate("1.2") == "1.2"
    assert version.validate("1.2") == "1.2"  # from the memo
    for bad in ("1.2x", "123456789.0", "1.2 "):
        for _ in range(2):  # a failure is never remembered
            with pytest.raises(t.InvalidValue):
                version.validate(bad)
    narrower = version.restrict(max_length=2)  # a derived type has its own memo
    with pytest.raises(t.InvalidValue, match="maximum 2"):
        narrower.validate("1.2")


def test_the_memo_is_bounded() -> None:
    ty = t.string(max_length=16)
    for i in range(t._FACETS_MEMO + 500):
        ty.validate(f"v{i}")
    assert len(ty._passed) == t._FACETS_MEMO
    assert ty.validate("v-new") == "v-new"  # still checked once the memo is full


def test_split_name_memo_hands_out_fresh_lists() -> None:
    a = _split_name("Device.DeviceInfo.SerialNumber")
    assert a == ["Device", "DeviceInfo", "SerialNumber"]
    a.append("X")  # a caller changing its list does not change the memo
    assert _split_name("Device.DeviceInfo.SerialNumber") == ["Device", "DeviceInfo", "SerialNumber"]
    assert _split_name("Device..X") is None
    assert _split_name("") == []
