"""The installed layout of printbench, built from a checkout for tools that read files.

An editable install maps ``printbench.<part>`` onto the top-level folders with an import hook
(pyproject's ``[tool.setuptools.package-dir]``). import-linter (grimp) and mypy read the file
system instead of importing, so they need the layout a wheel has: ``printbench/cwmp/...``.
:func:`build_layout` makes it from hard links (no copies, milliseconds), driven by the same
table the wheel is built from, so it cannot drift from what users install.

    python tests/architecture/layout.py DEST     # prints DEST/printbench
"""

from __future__ import annotations

import os
import shutil
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def package_dirs(root: Path = ROOT) -> dict[str, Path]:
    """Import name → source folder, from pyproject.toml."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    mapping = data["tool"]["setuptools"]["package-dir"]
    return {name: root / folder for name, folder in mapping.items()}


def build_layout(dest: Path, root: Path = ROOT) -> Path:
    """Hard-link every ``.py`` (and ``py.typed``) of the mapped packages under ``dest``."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    for name, src in sorted(package_dirs(root).items()):
        target = dest.joinpath(*name.split("."))
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            rel = Path(dirpath).relative_to(src)
            if rel.parts and (Path(dirpath) / "__init__.py").exists() is False:
                continue  # data folders (templates/, generated/) hold no code
            for fn in filenames:
                if fn.endswith(".py") or fn == "py.typed":
                    out = target / rel / fn
                    out.parent.mkdir(parents=True, exist_ok=True)
                    try:
                        os.link(Path(dirpath) / fn, out)
                    except OSError:
                        shutil.copy2(Path(dirpath) / fn, out)
    return dest / "printbench"


if __name__ == "__main__":
    print(build_layout(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build" / "layout")))
