"""``printbench printer``, ``printbench profiles`` and ``printbench profile import``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from printbench.emulator.profile_schema import ProfileError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "printer", help="run one virtual printer in the foreground and print its endpoints"
    )
    p.add_argument(
        "--profile", required=True, help="profile name (see `printbench profiles`) or YAML file"
    )
    p.add_argument(
        "--host", default="127.1.0.1", help="loopback address of the printer (default 127.1.0.1)"
    )
    p.add_argument(
        "--seed", type=int, default=0, help="which unit of the model (identity), default 0"
    )
    p.add_argument("--acs-url", default=None, help="ACS URL for the embedded TR-069 client")
    p.add_argument(
        "--pki",
        type=Path,
        default=None,
        metavar="DIR",
        help="test PKI folder (printbench pki; made if empty): the TR-069 client trusts its CA "
        "for an https ACS URL and presents a client certificate issued for this printer",
    )
    p.add_argument("--speed", type=float, default=1.0, help="print speed factor (default 1.0)")
    p.add_argument(
        "--standard-ports", action="store_true", help="use 161/udp, 631 and 80 (needs privileges)"
    )
    p.add_argument(
        "--head-timeout",
        type=float,
        default=30.0,
        help="seconds a client may take to send a request head, then 408 (default 30)",
    )
    p.add_argument(
        "--body-timeout",
        type=float,
        default=60.0,
        help="longest pause within a request body, then 408 (default 60)",
    )
    p.set_defaults(func=_printer)

    p = subparsers.add_parser("profiles", help="list the printer profiles, one name a line")
    p.set_defaults(func=_profiles)

    p = subparsers.add_parser("profile", help="work with printer profiles")
    sub = p.add_subparsers(dest="profile_command", metavar="ACTION", required=True)
    imp = sub.add_parser(
        "import", help="build a profile from an snmpwalk -On dump or .snmprec file"
    )
    imp.add_argument("file", help="the walk or recording")
    imp.add_argument("-o", "--output", help="write the profile here (default: standard output)")
    imp.add_argument(
        "--name", help="profile name (default: from -o's file name, else from the model)"
    )
    imp.add_argument(
        "--keep-identity",
        action="store_true",
        help="every unit is the recorded printer (its serial number, MACs, sysName ...); "
        "by default every unit gets its own",
    )
    imp.set_defaults(func=_import)


def _profiles(args: argparse.Namespace) -> int:
    from printbench.emulator.profiles import list_profiles

    for name in list_profiles():
        print(name)
    return 0


def _import(args: argparse.Namespace) -> int:
    from printbench.emulator.profile_import import import_recording

    name = args.name
    if name is None and args.output:
        name = Path(args.output).stem  # made a valid name; load_profile accepts the pair
    try:
        imported = import_recording(args.file, name=name, keep_identity=args.keep_identity)
    except ProfileError as exc:
        print(f"printbench profile import: {exc}", file=sys.stderr)
        return 1
    for warning in imported.warnings:
        print(f"printbench profile import: warning: {warning}", file=sys.stderr)
    if args.output:
        try:
            Path(args.output).write_text(imported.text, encoding="utf-8")
        except OSError as exc:
            print(f"printbench profile import: {args.output}: {exc.strerror}", file=sys.stderr)
            return 1
        print(f"wrote {args.output} (profile {imported.name})", file=sys.stderr)
    else:
        sys.stdout.write(imported.text)
    return 0


async def _printer(args: argparse.Namespace) -> int:
    from printbench.common.httpguard import HttpTimeouts
    from printbench.emulator.device import Ports, VirtualPrinter

    try:
        printer = VirtualPrinter(
            args.profile,
            host=args.host,
            seed=args.seed,
            acs_url=args.acs_url,
            speed=args.speed,
            ports=Ports.standard() if args.standard_ports else Ports(),
            http_timeouts=HttpTimeouts(head=args.head_timeout, body=args.body_timeout),
        )
    except (ProfileError, ValueError) as exc:
        print(f"printbench printer: {exc}", file=sys.stderr)
        return 2
    if args.pki is not None:
        from printbench.common.pki import PkiError, ensure_pki, issue_cpe_files

        ident = printer.state.identity
        try:
            files = ensure_pki(args.pki)
            cert, key = issue_cpe_files(args.pki, ident.oui, ident.serial_number)
        except (PkiError, OSError) as exc:
            print(f"printbench printer: --pki {args.pki}: {exc}", file=sys.stderr)
            return 2
        printer.tr069_config = {"ca_file": files.ca, "client_cert": cert, "client_key": key}
    try:
        await printer.start()
    except OSError as exc:
        print(f"printbench printer: cannot listen on {args.host}: {exc}", file=sys.stderr)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        for line in printer.endpoint_lines():
            print(line)
        print("ready", flush=True)
        await stop.wait()
    finally:
        await printer.stop()
    return 0
