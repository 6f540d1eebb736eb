"""``printbench standards fetch | where | verify``: the public standard files (issue 14).

The files are the Broadband Forum's and the PWG's own text, not copied into the repository;
see :mod:`printbench.common.standards` for where they are looked for.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from printbench.common import standards


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "standards",
        help="fetch, locate or verify the public standard files (BBF schemas, TR-181, PWG SM)",
    )
    sub = p.add_subparsers(dest="standards_command", metavar="ACTION", required=True)
    f = sub.add_parser("fetch", help="download and verify them into the user cache")
    f.add_argument("--dest", type=Path, help=f"folder to fill (default {standards.cache_dir()})")
    f.add_argument(
        "--mirror",
        help="base URL serving <source>/<name> (a local copy over HTTP) instead of the "
        "pinned upstream URLs",
    )
    f.set_defaults(func=_fetch)
    w = sub.add_parser("where", help="print the folders looked in and which one has the files")
    w.set_defaults(func=_where)
    v = sub.add_parser("verify", help="check a copy's SHA-256 against the pinned ones")
    v.add_argument(
        "folder", type=Path, nargs="?", help="default: the folder the files are found in"
    )
    v.set_defaults(func=_verify)


def _fetch(args: argparse.Namespace) -> int:
    def progress(key: str, size: int) -> None:
        print(f"fetched {key} ({size:,} bytes)")

    dest = standards.fetch(args.dest, mirror=args.mirror, progress=progress)
    print(f"standards in {dest}: {len(standards.manifest())} files verified")
    return 0


def _where(args: argparse.Namespace) -> int:
    for folder in standards.search_path():
        has = all((folder / k).is_file() for k in standards.manifest())
        print(f"{'complete' if has else 'absent  '}  {folder}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    folder = args.folder or standards.bbf_dir().parent
    problems = standards.verify(folder)
    for line in problems:
        print(line, file=sys.stderr)
    if not problems:
        print(f"{folder}: all {len(standards.manifest())} files are the published ones")
    return 1 if problems else 0
