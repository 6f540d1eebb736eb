"""Matchers: each kind accepts what it should and explains what it rejects."""

from __future__ import annotations

import pytest

from printbench.conformance.matchers import MatcherError, check_matcher, match


@pytest.mark.parametrize(
    ("spec", "value"),
    [
        ("42", "42"),
        (42, "42"),
        (True, "1"),
        (False, "false"),
        ({"equals": "a"}, "a"),
        ({"not_equals": "a"}, "b"),
        ({"one_of": [1, 2]}, "2"),
        ({"regex": "ab+c"}, "abbc"),
        ({"contains": "x"}, "axb"),
        ({"contains": "k"}, {"k": 1}),
        ({"contains": 503}, [200, 503]),
        ({"range": [1, 5]}, "3"),
        ({"range": {"min": 0}}, 7),
        ({"type": "unsignedInt"}, "7"),
        ({"type": "boolean"}, "true"),
        ({"type": "dateTime"}, "2026-01-01T00:00:00Z"),
        ({"type": "list"}, [1]),
        ({"length": 2}, [1, 2]),
        ({"each": {"regex": "a.*"}}, ["ab", "ac"]),
        ({"each": {"regex": "a.*"}}, {"ab": 1}),
        ({"all_of": [{"regex": "a.*"}, {"length": 2}]}, "ab"),
        ({"any_of": [{"equals": 1}, {"equals": 2}]}, 2),
        ({"not": {"equals": 1}}, 2),
        ({"a": {"b": "1"}}, {"a": {"b": "1", "c": 2}}),
        ({"a": {"present": False}}, {"b": 1}),
        ([1, "2"], ["1", 2]),
        ({"any": True}, None),
    ],
)
def test_matches(spec: object, value: object) -> None:
    check_matcher(spec)
    assert match(spec, value) is None


@pytest.mark.parametrize(
    ("spec", "value", "words"),
    [
        ("42", "43", "expected '42', got '43'"),
        ({"one_of": [1, 2]}, "3", "one of"),
        ({"regex": "ab"}, "abc", "matching"),
        ({"range": [1, 5]}, "6", "in [1.0, 5.0]"),
        ({"range": [1, 5]}, "x", "a number"),
        ({"type": "unsignedInt"}, "-1", "type unsignedInt"),
        ({"type": "boolean"}, "yes", "type boolean"),
        ({"each": {"regex": "a.*"}}, ["ab", "b"], "item 'b'"),
        ({"each": {"regex": "a.*"}}, [], "non-empty"),
        ({"a": {"b": "1"}}, {"a": {"b": "2"}}, "a.b: expected '1'"),
        ({"a": 1}, {"b": 1}, "a: missing"),
        ({"a": {"present": False}}, {"a": 1}, "expected absent"),
        ({"not": {"equals": 1}}, 1, "expected not"),
        ([1, 2], [1], "expected 2 items"),
        ({"contains": 503}, [200], "containing 503"),
    ],
)
def test_mismatches_explain(spec: object, value: object, words: str) -> None:
    why = match(spec, value)
    assert why is not None and words in why, why


@pytest.mark.parametrize(
    "spec", [{"regex": "("}, {"range": [1]}, {"type": "nosuch"}, {"one_of": 3}, {"all_of": {}}]
)
def test_bad_matchers_are_load_errors(spec: object) -> None:
    with pytest.raises(MatcherError):
        check_matcher(spec)
