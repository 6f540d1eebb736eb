"""``printbench datamodel build``: regenerate the PrintService model and its renderings."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from printbench.datamodel.build import (
    GENERATED_DIR,
    README,
    build,
    generate,
    readme_with_mapping,
    refresh_readme,
)
from printbench.datamodel.translator import TranslationError
from printbench.datamodel.xsd import XsdError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("datamodel", help="the PrintService data model")
    sub = parser.add_subparsers(dest="datamodel_command", metavar="ACTION")
    b = sub.add_parser("build", help="regenerate datamodel/generated/ from the PWG SM XSDs")
    b.add_argument("--sm-dir", type=Path, help="PWG SM XSD folder (default: settings)")
    b.add_argument("--bbf-dir", type=Path, help="BBF data-model folder (default: settings)")
    b.add_argument("--out", type=Path, default=GENERATED_DIR, help="output folder")
    b.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file is out of date"
    )
    b.set_defaults(func=_build)
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)


def _build(args: argparse.Namespace) -> int:
    try:
        if args.check:
            stale = [
                name
                for name, content in generate(args.sm_dir, args.bbf_dir).items()
                if not (args.out / name).is_file() or (args.out / name).read_bytes() != content
            ]
            if README is not None and README.is_file():  # None: not a source checkout
                text = README.read_text(encoding="utf-8")
                if readme_with_mapping(text) != text:
                    stale.append("README.md (mapping table)")
            for name in stale:
                print(f"out of date: {name}")
            return 1 if stale else 0
        result = build(args.out, args.sm_dir, args.bbf_dir)
        if refresh_readme():
            print(f"wrote {README} (mapping table)")
    except (XsdError, TranslationError, OSError) as exc:
        print(f"printbench datamodel build: {exc}", file=sys.stderr)
        return 1
    for path in result.written:
        print(f"wrote {path}")
    for path in result.unchanged:
        print(f"unchanged {path}")
    print(f"PrintService:1.0: {result.objects} objects, {result.parameters} parameters")
    return 0
