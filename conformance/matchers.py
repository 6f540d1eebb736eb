"""Matchers: what a scenario expects of a value, written as YAML.

Why a tiny language and not Python expressions: scenario files are data that plugfest
participants read and write; a matcher must say what it expects in words a failure message
can repeat ("expected one of ['1', '2'], got '3'"). A plain YAML value means *equals*; a
mapping with exactly one of the keys below is a matcher:

=================  =====================================================================
``equals: V``      the value, compared as text when the actual value is a string
``not_equals: V``  anything but V
``one_of: [..]``   any of the listed values
``regex: RE``      the whole text matches RE (``re.fullmatch``)
``contains: S``    a string containing S, or a list/dict containing the item/key S
``range: [a, b]``  a number a ≤ x ≤ b (either bound may be null); also ``{min, max}``
``type: T``        a TR-106 type name (``int``, ``unsignedInt``, ``boolean``, ``dateTime``,
                   ``string``, ``hexBinary``, ``base64``, ``long``, ``unsignedLong``,
                   ``decimal``) checked with cwmp/types lexical rules, or a JSON type
                   (``number``, ``list``, ``dict``, ``null``)
``length: M``      the length of the value matches M (another matcher or a number)
``present: B``     the key exists (B true) or not (B false); used for mapping keys
``any: true``      anything (to document that a value is only reported)
``all_of: [..]``   every matcher; ``any_of: [..]`` at least one; ``not: M`` negation
``each: M``        every item of a list, or every key of a mapping, matches M (and there
                   is at least one)
=================  =====================================================================

A mapping without any matcher key matches a dict key by key (nested matchers); a list
matches element-wise. ``match(expected, actual)`` returns ``None`` on success and a
failure message otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from printbench.cwmp import types as tr106

MATCHER_KEYS = frozenset(
    {
        "equals",
        "not_equals",
        "one_of",
        "regex",
        "contains",
        "range",
        "type",
        "length",
        "present",
        "any",
        "all_of",
        "any_of",
        "not",
        "each",
    }
)

_JSON_TYPES = {
    "number": (int, float),
    "list": (list, tuple),
    "dict": (dict,),
    "null": (type(None),),
    "bool": (bool,),
}


class MatcherError(ValueError):
    """A matcher is malformed (unknown key, bad regex, bad range)."""


def is_matcher(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in MATCHER_KEYS


def check_matcher(spec: Any, where: str = "") -> None:
    """Raise :class:`MatcherError` if ``spec`` is not a valid matcher tree (load time)."""
    if is_matcher(spec):
        key, arg = next(iter(spec.items()))
        if key == "regex":
            try:
                re.compile(str(arg))
            except re.error as exc:
                raise MatcherError(f"{where}regex {arg!r}: {exc}") from None
        elif key == "range":
            _bounds(arg, where)
        elif key == "one_of" and not isinstance(arg, list):
            raise MatcherError(f"{where}one_of needs a list")
        elif key in ("all_of", "any_of"):
            if not isinstance(arg, list):
                raise MatcherError(f"{where}{key} needs a list")
            for i, sub in enumerate(arg):
                check_matcher(sub, f"{where}{key}[{i}]: ")
        elif key in ("not", "length", "each"):
            check_matcher(arg, f"{where}{key}: ")
        elif key == "type" and str(arg) not in _JSON_TYPES and _tr106_type(str(arg)) is None:
            raise MatcherError(f"{where}unknown type {arg!r}")
    elif isinstance(spec, Mapping):
        for k, v in spec.items():
            check_matcher(v, f"{where}{k}: ")
    elif isinstance(spec, list):
        for i, v in enumerate(spec):
            check_matcher(v, f"{where}[{i}]: ")


def _bounds(arg: Any, where: str = "") -> tuple[float | None, float | None]:
    if isinstance(arg, Mapping):
        lo, hi = arg.get("min"), arg.get("max")
    elif isinstance(arg, list | tuple) and len(arg) == 2:
        lo, hi = arg
    else:
        raise MatcherError(f"{where}range needs [min, max] or {{min, max}}, got {arg!r}")
    try:
        return (None if lo is None else float(lo), None if hi is None else float(hi))
    except (TypeError, ValueError):
        raise MatcherError(f"{where}range bounds must be numbers, got {arg!r}") from None


def _tr106_type(name: str) -> tr106.ParamType | None:
    try:
        return tr106.base_type(name)
    except ValueError:
        try:
            return tr106.named(name)
        except Exception:
            return None


def _scalar_equal(expected: Any, actual: Any) -> bool:
    if isinstance(actual, str) and not isinstance(expected, str):
        if isinstance(expected, bool):
            return actual.lower() in (("true", "1") if expected else ("false", "0"))
        if expected is None:
            return False
        return actual == str(expected) or _num(actual) == _num(expected)
    if isinstance(expected, str) and not isinstance(actual, str) and actual is not None:
        if isinstance(actual, bool):
            return expected.lower() in (("true", "1") if actual else ("false", "0"))
        return str(actual) == expected
    return expected == actual


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _type_ok(name: str, actual: Any) -> bool:
    if name in _JSON_TYPES:
        return isinstance(actual, _JSON_TYPES[name]) and not (
            name == "number" and isinstance(actual, bool)
        )
    text = actual if isinstance(actual, str) else ("true" if actual is True else str(actual))
    if actual is False:
        text = "false"
    ptype = _tr106_type(name)
    return ptype is not None and ptype.is_valid(text)


def match(expected: Any, actual: Any, path: str = "") -> str | None:
    """``None`` if ``actual`` satisfies ``expected``; otherwise why not (with the path)."""
    at = f"{path}: " if path else ""
    if is_matcher(expected):
        key, arg = next(iter(expected.items()))
        if key == "equals":
            return None if _scalar_equal(arg, actual) else f"{at}expected {arg!r}, got {actual!r}"
        if key == "not_equals":
            return None if not _scalar_equal(arg, actual) else f"{at}expected anything but {arg!r}"
        if key == "one_of":
            if any(_scalar_equal(a, actual) for a in arg):
                return None
            return f"{at}expected one of {arg!r}, got {actual!r}"
        if key == "regex":
            if isinstance(actual, str) and re.fullmatch(str(arg), actual):
                return None
            return f"{at}expected text matching /{arg}/, got {actual!r}"
        if key == "contains":
            if isinstance(actual, str):
                ok = str(arg) in actual
            elif isinstance(actual, Mapping):
                ok = arg in actual
            elif isinstance(actual, list | tuple):
                ok = any(_scalar_equal(arg, a) or match(arg, a) is None for a in actual)
            else:
                ok = False
            return None if ok else f"{at}expected something containing {arg!r}, got {actual!r}"
        if key == "range":
            lo, hi = _bounds(arg)
            value = _num(actual)
            if value is None:
                return f"{at}expected a number in [{lo}, {hi}], got {actual!r}"
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                return f"{at}expected a number in [{lo}, {hi}], got {actual!r}"
            return None
        if key == "type":
            return (
                None if _type_ok(str(arg), actual) else f"{at}expected type {arg}, got {actual!r}"
            )
        if key == "length":
            try:
                n = len(actual)
            except TypeError:
                return f"{at}expected something with a length, got {actual!r}"
            why = match(arg, n)
            return None if why is None else f"{at}length {why}"
        if key == "present":
            # Only meaningful inside a mapping match, where absence is handled; here it exists.
            return None if arg else f"{at}expected no value, got {actual!r}"
        if key == "any":
            return None
        if key == "all_of":
            for sub in arg:
                why = match(sub, actual, path)
                if why is not None:
                    return why
            return None
        if key == "any_of":
            reasons = [match(sub, actual, path) for sub in arg]
            if any(r is None for r in reasons):
                return None
            return f"{at}none of the alternatives matched ({'; '.join(str(r) for r in reasons)})"
        if key == "each":
            items = list(actual) if isinstance(actual, Mapping | list | tuple) else None
            if not items:
                return f"{at}expected a non-empty list or mapping, got {actual!r}"
            for item in items:
                why = match(arg, item, path)
                if why is not None:
                    return f"{at}item {item!r}: {why}"
            return None
        if key == "not":
            why = match(arg, actual, path)
            return f"{at}expected not {arg!r}, got {actual!r}" if why is None else None
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return f"{at}expected a mapping, got {actual!r}"
        for k, sub in expected.items():
            sub_path = f"{path}.{k}" if path else str(k)
            if k not in actual:
                if is_matcher(sub) and next(iter(sub)) == "present" and not sub["present"]:
                    continue
                return f"{sub_path}: missing (have {', '.join(map(str, list(actual)[:8]))})"
            if is_matcher(sub) and next(iter(sub)) == "present":
                if not sub["present"]:
                    return f"{sub_path}: expected absent, got {actual[k]!r}"
                continue
            why = match(sub, actual[k], sub_path)
            if why is not None:
                return why
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list | tuple):
            return f"{at}expected a list, got {actual!r}"
        if len(expected) != len(actual):
            return f"{at}expected {len(expected)} items, got {len(actual)}: {actual!r}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            why = match(e, a, f"{path}[{i}]")
            if why is not None:
                return why
        return None
    return None if _scalar_equal(expected, actual) else f"{at}expected {expected!r}, got {actual!r}"
