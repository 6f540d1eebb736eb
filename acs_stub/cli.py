"""``printbench acs``: the stub ACS in the foreground.

Prints the CWMP URL, the control API URL and the file server URL, then ``ready`` (DESIGN.md
section 8), and runs until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from printbench.acs_stub.httpauth import MODES, AuthPolicy


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("acs", help="run the stub ACS (CWMP endpoint + control API)")
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=7547, help="CWMP port (default 7547)")
    p.add_argument(
        "--control-port",
        type=int,
        default=None,
        help="control API and file server port (default 7557; 0 when --port is 0)",
    )
    p.add_argument("--cert", type=Path, help="TLS certificate (PEM): serve CWMP over HTTPS")
    p.add_argument("--key", type=Path, help="TLS private key (PEM)")
    p.add_argument(
        "--client-ca",
        type=Path,
        help="verify CPE client certificates against this CA file (printbench pki writes one)",
    )
    p.add_argument(
        "--require-client-cert",
        action="store_true",
        help="mutual TLS: refuse CPEs without a client certificate from --client-ca",
    )
    p.add_argument("--auth", choices=MODES, default="none", help="CPE authentication")
    p.add_argument("--username", default="", help="CPE username for --auth basic/digest")
    p.add_argument("--password", default="", help="CPE password for --auth basic/digest")
    p.add_argument("--session-timeout", type=float, default=30.0, help="seconds (default 30)")
    p.add_argument(
        "--head-timeout",
        type=float,
        default=30.0,
        help="seconds a CPE may take to send a request head, then 408 (default 30)",
    )
    p.add_argument("--cookie-path", default=None, help="add Path=<value> to the session cookie")
    p.add_argument("--journal-dir", type=Path, default=None, help="default: reports/")
    p.add_argument(
        "--journal-max-mb",
        type=float,
        default=256.0,
        help="rotate the journal file at this size, keep 3 (default 256; 0: never)",
    )
    p.add_argument(
        "--journal-keep-mb",
        type=float,
        default=64.0,
        help="journal bodies kept in memory (default 64)",
    )
    p.add_argument(
        "--no-persist",
        action="store_true",
        help="keep devices and queued RPCs only in memory (default: acs-state.sqlite3 in the "
        "journal folder, so a restart loses none)",
    )
    p.add_argument(
        "--stun-port",
        type=int,
        default=None,
        help="also serve STUN on this UDP port (TR-069 Annex G: learns each CPE's binding for "
        "UDP connection requests; 3478 is the default STUN port)",
    )
    p.add_argument(
        "--stun-password",
        default="",
        help="with --stun-port: require MESSAGE-INTEGRITY with this password (any USERNAME)",
    )
    p.set_defaults(func=run)


async def run(args: argparse.Namespace) -> int:
    from printbench.common import standards

    standards.require(standards.JUDGE_FILES)  # the judge needs them: fail before listening
    from printbench.acs_stub.control import AcsControl
    from printbench.acs_stub.server import AcsConfig
    from printbench.acs_stub.store import StoreError

    if bool(args.cert) != bool(args.key):
        print("printbench acs: --cert and --key go together", file=sys.stderr)
        return 2
    if args.require_client_cert and not (args.client_ca and args.cert):
        print("printbench acs: --require-client-cert needs --cert/--key and --client-ca",
              file=sys.stderr)  # fmt: skip
        return 2
    control_port = args.control_port
    if control_port is None:
        control_port = 0 if args.port == 0 else 7557
    config = AcsConfig(
        host=args.host,
        port=args.port,
        control_port=control_port,
        ssl_cert=args.cert,
        ssl_key=args.key,
        client_ca=args.client_ca,
        require_client_cert=args.require_client_cert,
        session_timeout=args.session_timeout,
        head_timeout=args.head_timeout,
        auth=AuthPolicy.of(args.auth, args.username, args.password),
        cookie_path=args.cookie_path,
        journal_dir=args.journal_dir,
        journal_max_file_bytes=int(args.journal_max_mb * 1024 * 1024),
        journal_keep_bytes=int(args.journal_keep_mb * 1024 * 1024),
        persist=not args.no_persist,
    )
    try:
        control = await AcsControl.start(config)
    except OSError as exc:
        print(f"printbench acs: cannot listen on {args.host}: {exc}", file=sys.stderr)
        return 1
    except StoreError as exc:
        print(f"printbench acs: {exc}", file=sys.stderr)
        return 1
    server = control.server
    print(f"cwmp {server.cwmp_url}")
    print(f"control {server.control_url}/api")
    print(f"files {server.files_url}/files/")
    if args.stun_port is not None:
        secret = args.stun_password
        try:
            stun = await control.start_stun(
                args.host, args.stun_port, credentials=(lambda _u: secret) if secret else None
            )
        except OSError as exc:
            print(f"printbench acs: cannot serve STUN on {args.host}: {exc}", file=sys.stderr)
            await control.stop()
            return 1
        print(f"stun {stun.host}:{stun.port}/udp")
    if server.journal.path:
        print(f"journal {server.journal.path}")
    print("ready", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await control.stop()
    return 0
