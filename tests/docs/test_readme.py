"""The README is the front door: what it shows of generated material must be current."""

from __future__ import annotations

import re
from pathlib import Path

from printbench.datamodel.mapping import render_markdown

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"


def test_readme_mapping_table_is_rendered_from_mapping_yaml() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- mapping:begin -->\n(.*?)\n<!-- mapping:end -->", text, re.S)
    assert match, "README.md lacks the <!-- mapping:begin/end --> markers"
    assert match.group(1).strip() == render_markdown().strip(), (
        "README mapping table is stale: run `printbench datamodel build`"
    )


def test_readme_names_the_two_setup_commands_that_ci_runs() -> None:
    text = README.read_text(encoding="utf-8")
    assert "./dev run" in text and "./dev test" in text
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./dev test" in ci
