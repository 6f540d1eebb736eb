"""docs/acs.md's verdict rule table is the judge's: every rule with its severity and its
source, and a mandatory rule always names a normative requirement (issue 12)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from printbench.acs_stub.verdicts import RULES, rules_markdown

REPO_ROOT = Path(__file__).resolve().parents[2]
DOC = REPO_ROOT / "docs" / "acs.md"
#: The wording a mandatory rule's source must show: a MUST of the text or a schema constraint.
NORMATIVE = re.compile(r"\bMUST\b|\(schema\)|normative table")
SECTION = re.compile(r"§\s?\d|Annex [A-Z]|\bA\.\d|\.xsd|TR-181|SOAP 1\.1 §")


def _table() -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- rules:begin -->\n(.*?)\n<!-- rules:end -->", text, re.S)
    assert match, "docs/acs.md lacks the <!-- rules:begin/end --> markers"
    return match.group(1).strip()


def test_doc_rule_table_is_the_code_table() -> None:
    assert _table() == rules_markdown().strip(), (
        "docs/acs.md rule table differs from acs_stub.verdicts.RULES: paste rules_markdown()"
    )


def test_doc_lists_every_rule_once() -> None:
    ids = re.findall(r"^\| `([a-z0-9-]+)` \|", _table(), re.M)
    assert sorted(ids) == sorted(RULES) and len(ids) == len(set(ids))


@pytest.mark.parametrize("rule", sorted(RULES))
def test_rule_names_its_source(rule: str) -> None:
    r = RULES[rule]
    if r.severity == "mandatory":
        assert SECTION.search(r.spec), f"{rule}: no section in {r.spec!r}"
        assert NORMATIVE.search(r.spec), f"{rule}: mandatory without a MUST/schema source"
        assert "no normative source" not in r.spec and "unverified" not in r.spec
    else:
        assert r.severity == "optional"
        assert r.spec, f"{rule}: say where the convention comes from, or that none was found"
