"""Where printbench finds things that live outside its own repository.

The Broadband Forum and PWG schema files are public standards that we read but do not copy
into the repository. They are found at ``../shared/data`` relative to the repository root by
default; ``PRINTBENCH_SHARED_DATA`` points at another copy.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    """A file or folder printbench needs is not where the settings say."""


def shared_data_dir() -> Path:
    """The folder holding ``bbf/`` and ``pwg-sm/`` (public standard files)."""
    configured = os.environ.get("PRINTBENCH_SHARED_DATA")
    path = Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"
    if not (path / "bbf").is_dir():
        raise SettingsError(
            f"public standard files not found at {path} (expected {path / 'bbf'}); "
            "set PRINTBENCH_SHARED_DATA to the folder that holds bbf/ and pwg-sm/"
        )
    return path


def bbf_dir() -> Path:
    """Broadband Forum CWMP and data-model schemas."""
    return shared_data_dir() / "bbf"


def pwg_sm_dir() -> Path:
    """PWG Semantic Model XML schema, version 2.905."""
    return shared_data_dir() / "pwg-sm"


def reports_dir() -> Path:
    """Default folder for what runs write."""
    return Path(os.environ.get("PRINTBENCH_REPORTS", REPO_ROOT / "reports"))
