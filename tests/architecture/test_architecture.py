"""The architecture stays true: one import root, layers pointing inward, types that check.

Each test reads the code as it is on disk; none imports the project's packages to inspect
them, so a mistake cannot hide behind an import that happens to work in this checkout.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.architecture.layout import ROOT, build_layout, package_dirs

OLD_ROOTS = {"cwmp", "cwmp_cpe", "datamodel", "emulator", "acs_stub", "cwmp_proxy", "conformance"}
VENV_BIN = Path(sys.executable).parent


def _python_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / p for p in out if (ROOT / p).is_file()]


def test_no_module_imports_an_old_top_level_name() -> None:
    """Everything imports as ``printbench.<part>``; a leftover ``import cwmp`` would work in a
    checkout (the folder is on sys.path) and fail in an installed wheel."""
    offenders = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in OLD_ROOTS:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    assert not offenders, "imports outside the printbench root:\n" + "\n".join(offenders)


def test_every_code_folder_is_a_listed_package() -> None:
    """A folder with Python code and no ``__init__.py`` (a namespace package) or a package
    missing from pyproject's list is silently left out of the wheel."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(data["tool"]["setuptools"]["packages"])
    problems = []
    for name, src in package_dirs().items():
        for init in src.rglob("*.py"):
            folder = init.parent
            if "__pycache__" in folder.parts:
                continue
            rel = folder.relative_to(src)
            dotted = ".".join([name, *rel.parts])
            if not (folder / "__init__.py").is_file():
                problems.append(f"{folder.relative_to(ROOT)}: Python code without __init__.py")
            elif dotted not in listed:
                problems.append(f"{dotted}: not in [tool.setuptools] packages")
    assert not problems, "\n".join(sorted(set(problems)))


def test_protocol_helpers_for_tests_are_not_runtime_code() -> None:
    """Hypothesis strategies are test helpers; no runtime package may import hypothesis."""
    for _name, src in package_dirs().items():
        for path in src.rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert "import hypothesis" not in text and "from hypothesis" not in text, path


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_layout(tmp_path_factory.mktemp("layout") / "site").parent


def test_layer_contracts_hold(layout: Path) -> None:
    """import-linter's contracts in pyproject.toml (layers inward, pure protocol cores)."""
    exe = VENV_BIN / "lint-imports"
    if not exe.is_file():
        pytest.fail(f"{exe} missing: install the test extra (./dev setup)")
    proc = subprocess.run(
        [str(exe), str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=layout,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout


def test_type_check_is_clean(layout: Path) -> None:
    """mypy over the installed layout, with unused ``type: ignore`` comments reported."""
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
         "--cache-dir", str(ROOT / ".mypy_cache"), "-p", "printbench"],
        cwd=layout, capture_output=True, text=True,
    )  # fmt: skip
    out = proc.stdout.replace(f"{layout}/", "")
    assert proc.returncode == 0, out[-8000:] + proc.stderr[-2000:]


def test_readme_layer_table_states_the_contracts() -> None:
    """The README's layer table is the layers contract, row for row."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (layers,) = [c for c in data["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- layers:begin -->\n", 1)[1].split("\n<!-- layers:end -->", 1)[0]
    rows = [line for line in block.splitlines()[2:] if line.startswith("|")]
    stated = [
        [name.strip(" `") for name in row.split("|", 2)[2].rstrip("| ").split("\\|")]
        for row in rows
    ]
    expected = [[name.strip() for name in layer.split("|")] for layer in layers["layers"]]
    assert stated == expected
