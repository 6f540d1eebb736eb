"""Regenerate the committed data-model files (``printbench datamodel build``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datamodel.render import render_model_markdown
from datamodel.translator import (
    FILE_NAME,
    ROOT_FILE_NAME,
    BbfSource,
    load_model,
    render_model,
    render_root,
)
from printbench import settings

GENERATED_DIR = Path(__file__).resolve().parent / "generated"
MARKDOWN_NAME = "printservice.md"


@dataclass
class BuildResult:
    written: list[Path]  # files whose content changed
    unchanged: list[Path]
    objects: int
    parameters: int


def generate(sm_dir: Path | None = None, bbf_dir: Path | None = None) -> dict[str, bytes]:
    """File name → content of every generated file (pure: nothing is written)."""
    model = load_model(Path(sm_dir) if sm_dir else settings.pwg_sm_dir())
    src = BbfSource(Path(bbf_dir) if bbf_dir else settings.bbf_dir())
    return {
        FILE_NAME: render_model(model, src),
        ROOT_FILE_NAME: render_root(src),
        MARKDOWN_NAME: render_model_markdown(model).encode(),
    }


def build(
    out_dir: Path = GENERATED_DIR, sm_dir: Path | None = None, bbf_dir: Path | None = None
) -> BuildResult:
    """Write the generated files; a file is rewritten only when its content changed."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = generate(sm_dir, bbf_dir)
    written, unchanged = [], []
    for name, content in files.items():
        path = out_dir / name
        if path.is_file() and path.read_bytes() == content:
            unchanged.append(path)
        else:
            path.write_bytes(content)
            written.append(path)
    model = load_model(Path(sm_dir) if sm_dir else settings.pwg_sm_dir())
    return BuildResult(written, unchanged, len(model.objects), len(model.parameters()))
