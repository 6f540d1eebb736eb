"""Reports of a run: JUnit XML (for CI tools), JSON results, one self-contained HTML page.

Why three: CI systems read JUnit XML; scripts and later comparisons read JSON; people read
the HTML page, which inlines its CSS and holds everything (summary, each result with its
failing step and the envelopes around it, the parameter × device matrix), so it can be mailed
or attached to a plugfest report as one file.
"""

from __future__ import annotations

from printbench.conformance.report.writers import (
    SCHEMA_VERSION,
    junit_xml,
    render_html,
    results_json,
    write_reports,
)

__all__ = ["SCHEMA_VERSION", "junit_xml", "render_html", "results_json", "write_reports"]
