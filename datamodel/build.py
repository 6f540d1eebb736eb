"""Regenerate the committed data-model files (``printbench datamodel build``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from printbench.common import standards
from printbench.common.settings import checkout_root
from printbench.datamodel.render import render_model_markdown
from printbench.datamodel.translator import (
    FILE_NAME,
    ROOT_FILE_NAME,
    BbfSource,
    load_model,
    render_model,
    render_root,
)

GENERATED_DIR = Path(__file__).resolve().parent / "generated"
MARKDOWN_NAME = "printservice.md"
_ROOT = checkout_root()
README = _ROOT / "README.md" if _ROOT else None  # re-rendered only in a source checkout
MAPPING_BEGIN, MAPPING_END = "<!-- mapping:begin -->\n", "\n<!-- mapping:end -->"


def readme_with_mapping(text: str) -> str:
    """``text`` (the README) with the block between the mapping markers re-rendered from
    datamodel/mapping.yaml; unchanged when the markers are absent."""
    from printbench.datamodel.mapping import (
        render_markdown,  # the mapping loads the model: only now
    )

    start, end = text.find(MAPPING_BEGIN), text.find(MAPPING_END)
    if start < 0 or end < start:
        return text
    table = render_markdown().strip()
    return text[: start + len(MAPPING_BEGIN)] + table + text[end:]


def refresh_readme(readme: Path | None = README) -> bool:
    """Re-render the README's mapping table; True when the file changed."""
    if readme is None or not readme.is_file():
        return False
    old = readme.read_text(encoding="utf-8")
    new = readme_with_mapping(old)
    if new != old:
        readme.write_text(new, encoding="utf-8")
    return new != old


@dataclass
class BuildResult:
    written: list[Path]  # files whose content changed
    unchanged: list[Path]
    objects: int
    parameters: int


def generate(sm_dir: Path | None = None, bbf_dir: Path | None = None) -> dict[str, bytes]:
    """File name → content of every generated file (pure: nothing is written)."""
    model = load_model(Path(sm_dir) if sm_dir else standards.pwg_sm_dir())
    src = BbfSource(Path(bbf_dir) if bbf_dir else standards.bbf_dir())
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
    model = load_model(Path(sm_dir) if sm_dir else standards.pwg_sm_dir())
    return BuildResult(written, unchanged, len(model.objects), len(model.parameters()))
