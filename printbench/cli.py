"""The ``printbench`` command line.

Each package that offers subcommands has a ``cli`` module with a function
``register(subparsers)`` that adds its subcommands and sets ``func`` on each, an
``async`` or plain callable taking the parsed arguments and returning an exit code.
The list below is the only place that knows which packages offer commands, so the
command line grows without packages knowing about each other.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from printbench import __version__
from printbench.common.standards import StandardsError

#: Modules with a ``register(subparsers)`` function, in the order their commands are listed.
COMMAND_MODULES: tuple[str, ...] = (
    "printbench.datamodel.cli",
    "printbench.acs_stub.cli",
    "printbench.emulator.cli",
    "printbench.conformance.cli",
    "printbench.cwmp_proxy.cli",
    "printbench.emulator.fleet.cli",
    "printbench.loadtest.cli",
    "printbench.standards_cli",
    "printbench.pki_cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="printbench",
        description="Printer fleet emulator and TR-069 (CWMP) conformance test bench.",
    )
    parser.add_argument("--version", action="version", version=f"printbench {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more logging (-vv: debug)"
    )
    parser.add_argument(
        "--profiles-dir",
        type=Path,
        action="append",
        default=[],
        help="a folder of your own printer profiles, searched before the built-in ones "
        "(repeatable; also $PRINTBENCH_PROFILES)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.profiles_dir:  # the environment carries it to fleet workers and child processes
        extra = [str(p) for p in args.profiles_dir]
        old = os.environ.get("PRINTBENCH_PROFILES")
        os.environ["PRINTBENCH_PROFILES"] = os.pathsep.join([*extra, *([old] if old else [])])
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        result = func(args)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
    except KeyboardInterrupt:
        return 130
    except StandardsError as exc:  # one line: which file, and the command that gets it
        print(f"printbench {args.command}: {exc}", file=sys.stderr)
        return 2
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
