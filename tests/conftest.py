"""Suite-wide set-up.

Runs write reports and stub-ACS journals into ``$PRINTBENCH_REPORTS`` (default ``./reports``,
see ``printbench.common.settings.reports_dir``). Tests must not fill the checkout's
``reports/`` folder (a full suite left ~1,000 journal files, 46 MB, there), so the whole
session writes into one temporary folder unless the caller chose one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _reports_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    if os.environ.get("PRINTBENCH_REPORTS"):
        yield
        return
    os.environ["PRINTBENCH_REPORTS"] = str(tmp_path_factory.mktemp("reports"))
    try:
        yield
    finally:
        os.environ.pop("PRINTBENCH_REPORTS", None)
