"""Scenario files: every error names file, line and step; the shipped suite loads."""

from __future__ import annotations

import pytest

from printbench.conformance.scenario import (
    AREAS,
    ScenarioError,
    default_dir,
    load_all,
    parse_scenarios,
)

GOOD = """\
id: T-1
title: t
area: rpc
steps:
  - rpc: GetRPCMethods
    expect: {method_list: {contains: Inform}}
  - wait_inform: {events: [1 BOOT]}
  - for_each: [a, b]
    as: x
    steps:
      - log: "${x}"
"""


def test_good_scenario_parses_with_lines_and_nested_steps() -> None:
    (sc,) = parse_scenarios(GOOD, "good.yaml")
    assert sc.id == "T-1" and sc.mandatory and sc.via == ("embedded", "proxy")
    assert [s.action for s in sc.steps] == ["rpc", "wait_inform", "for_each"]
    assert [s.line for s in sc.steps] == [5, 7, 8]
    assert sc.steps[1].args == {"events": ["1 BOOT"]}  # flow form of the options
    assert sc.steps[2].children[0].number == "3.1"
    assert sc.steps[2].children[0].line == 11


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        (
            GOOD.replace("  - rpc: GetRPCMethods", "  - rcp: GetRPCMethods"),
            "bad.yaml:5: step 1: ",
            "unknown action 'rcp'",
        ),
        (
            GOOD.replace("    expect: {", "    expct: {"),
            "bad.yaml:5: step 1 (rpc): ",
            "unknown key 'expct'",
        ),
        (GOOD.replace("{contains: Inform}", "{regex: '('}"), "bad.yaml:5: step 1 (rpc): ", "regex"),
        (
            GOOD.replace('      - log: "${x}"', "      - sleep: soon"),
            "bad.yaml:11: step 3.1 (sleep): ",
            "must be number",
        ),
        (GOOD.replace("area: rpc", "area: nonsense"), "bad.yaml:3: ", "area 'nonsense'"),
        (GOOD.replace("id: T-1\n", ""), "bad.yaml:1: ", "missing required key 'id'"),
        (GOOD.replace("title: t", "title: t\ncolour: red"), "bad.yaml:3: ", "unknown key 'colour'"),
        (GOOD + "  - rpc: [unclosed\n", "bad.yaml:", "YAML syntax"),
        (GOOD.replace("area: rpc", "area: rpc\narea: rpc"), "bad.yaml:4: ", "duplicate key 'area'"),
    ],
)
def test_errors_point_at_file_line_and_step(text: str, where: str, words: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_scenarios(text, "bad.yaml")
    message = str(info.value)
    assert message.startswith(where), message
    assert words in message


def test_shipped_suite_loads_and_covers_every_area() -> None:
    scenarios = load_all([default_dir()])
    areas = {s.area for s in scenarios}
    assert areas >= set(AREAS) - {"engine"}
    assert len({s.id for s in scenarios}) == len(scenarios)
    for sc in scenarios:
        assert sc.purpose and sc.reference, sc.id


def test_expected_verdicts_and_new_steps_parse() -> None:
    text = """
id: Q-1
title: a negative scenario
area: versions
verdicts: {expect: [parameter-key], ignore: [event-unknown]}
steps:
  - quirks: [parameter-key-frozen]
  - acs_versions: ["1.0", "1.2"]
  - envelopes: {direction: "cpe->acs", method: Inform}
    expect: {each: {supported_cwmp_versions: {type: "null"}}}
  - client: negotiated_version
    expect: "1.2"
  - verdicts: {none_except: []}
"""
    (sc,) = parse_scenarios(text, "q.yaml")
    assert sc.expect_rules == ("parameter-key",)
    assert sc.ignore_rules == ("event-unknown",)
    assert [s.action for s in sc.steps] == [
        "quirks",
        "acs_versions",
        "envelopes",
        "client",
        "verdicts",
    ]
    with pytest.raises(ScenarioError, match=r"q.yaml:5: verdicts takes only"):
        parse_scenarios(text.replace("ignore:", "ignored:"), "q.yaml")
    with pytest.raises(
        ScenarioError, match=r"step 1 \(quirks\): quirks: the action.s value must be list"
    ):
        parse_scenarios(text.replace("[parameter-key-frozen]", "parameter-key-frozen"), "q.yaml")


def test_every_built_in_restriction_says_why() -> None:
    """A scenario that leaves a path or a profile out says why (the report's "not applicable"
    then names its reason, issue 12)."""
    from printbench.conformance.scenario import VIA, default_dir, load_all

    silent = [
        f"{sc.id} ({sc.file}:{sc.line})"
        for sc in load_all([default_dir()])
        if (set(sc.via) != set(VIA) or sc.profiles is not None or sc.profiles_by_via)
        and not sc.why_not
    ]
    assert not silent, "restricted without why_not: " + ", ".join(silent)


def test_profiles_may_restrict_one_path_only() -> None:
    from printbench.conformance.scenario import parse_scenarios

    (sc,) = parse_scenarios(
        "id: X-1\ntitle: t\narea: rpc\nprofiles: {embedded: [a]}\nwhy_not: only a offers it\n"
        "steps:\n  - log: hi\n"
    )
    assert sc.applies("builtin", "a", "embedded") is None
    assert sc.applies("builtin", "b", "proxy") is None
    assert sc.applies("builtin", "b", "embedded") == (
        "not for profile b through the embedded path: only a offers it"
    )
