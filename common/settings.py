"""Where printbench finds its own data and writes its reports.

Profiles, scenarios, targets, the generated data model and the mapping table are package data
of ``printbench`` (read with :mod:`importlib.resources`, so a wheel installed anywhere finds
them); a user's own folder is searched first. The public standard files are found by
:mod:`printbench.common.standards`.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


class SettingsError(RuntimeError):
    """A file or folder printbench needs is not where the settings say."""


def checkout_root() -> Path | None:
    """The source checkout this code runs from, or None when installed from a wheel.

    A checkout is recognised by its ``pyproject.toml`` beside the ``common/`` folder; only
    developer commands (``printbench datamodel build`` re-rendering the README) and the
    ``../shared/data`` fallback for the standard files use it.
    """
    root = _PACKAGE_DIR.parent
    return root if (root / "pyproject.toml").is_file() and (root / "printbench").is_dir() else None


def package_dir(package: str) -> Path:
    """The folder of a data package (``printbench.profiles``) on the file system.

    Wheels install unpacked, so the resource root is always a real folder; anything else
    (a zip import) is refused with a message rather than half-working.
    """
    root = resources.files(package)
    path = Path(str(root))
    if not path.is_dir():
        raise SettingsError(f"{package}: package data is not a folder on disk ({root})")
    return path


def data_dirs(package: str, env: str, user_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Folders to search for a kind of data, the user's first, the built-in one last.

    ``user_dir`` comes from a command-line option (``--profiles-dir``), ``env`` names an
    environment variable that may hold more folders (``os.pathsep``-separated).
    """
    out: list[Path] = []
    if user_dir:
        out.append(Path(user_dir))
    for part in os.environ.get(env, "").split(os.pathsep):
        if part:
            out.append(Path(part))
    out.append(package_dir(package))
    return out


def display_path(path: Path) -> str:
    """``path`` as messages show it: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def reports_dir() -> Path:
    """Default folder for what runs write: ``$PRINTBENCH_REPORTS`` or ``./reports``."""
    return Path(os.environ.get("PRINTBENCH_REPORTS", Path.cwd() / "reports"))
