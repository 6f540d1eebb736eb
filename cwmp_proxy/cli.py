"""``printbench proxy --acs-url URL --printers FILE``: run the CWMP proxy in the foreground."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from printbench.cwmp_proxy.errors import InventoryError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "proxy",
        help="the CWMP proxy: printers over SNMP/IPP/EWS as virtual CWMP devices",
        description="Manage printers without a TR-069 client from an ACS: one virtual CWMP "
        "device per printer (TR-069 Annex J), values read and written over SNMP, IPP and EWS.",
    )
    p.add_argument("--acs-url", required=True, help="the ACS the devices inform")
    p.add_argument("--printers", help="printers file (YAML, JSON or CSV)")
    p.add_argument(
        "--discover",
        metavar="RANGE",
        help="probe an address range (CIDR or A-B) by SNMP and IPP and add what answers",
    )
    p.add_argument("--host", default="127.0.0.1", help="address of the proxy's listeners")
    p.add_argument("--cr-port", type=int, default=7548, help="connection request port")
    p.add_argument(
        "--cr-username",
        default=os.environ.get("PRINTBENCH_CR_USERNAME", ""),
        help="ConnectionRequestUsername of every device (env PRINTBENCH_CR_USERNAME); "
        "without one no Connection Request is accepted (TR-069 §3.2.2: the CPE MUST "
        "authenticate the ACS)",
    )
    p.add_argument(
        "--cr-password",
        default=os.environ.get("PRINTBENCH_CR_PASSWORD", ""),
        help="ConnectionRequestPassword (env PRINTBENCH_CR_PASSWORD)",
    )
    p.add_argument(
        "--pki",
        type=Path,
        default=None,
        metavar="DIR",
        help="test PKI folder (printbench pki; made if empty): trust its CA for the ACS and "
        "give every device its own client certificate",
    )
    p.add_argument("--trap-port", type=int, default=None, help="UDP port for printer traps")
    p.add_argument("--periodic-interval", type=int, default=3600, help="PeriodicInformInterval")
    p.add_argument("--poll-status", type=float, default=10.0, help="status poll interval (s)")
    p.add_argument("--poll-config", type=float, default=60.0, help="config poll interval (s)")
    p.add_argument("--timeout", type=float, default=1.0, help="per-request printer timeout (s)")
    p.add_argument("--retries", type=int, default=1, help="retries per printer request")
    p.add_argument(
        "--state-dir",
        type=Path,
        default=_default_state_dir(),
        help="where the devices' CWMP state and the proxy's serial number are kept, so a "
        "restart is 1 BOOT, not 0 BOOTSTRAP of every printer "
        "(default: $XDG_STATE_HOME/printbench/proxy)",
    )
    p.add_argument(
        "--no-state", action="store_true", help="keep no state: every start is a new proxy"
    )
    p.set_defaults(func=run)


def _default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "printbench" / "proxy"


async def run(args: argparse.Namespace) -> int:
    from printbench.cwmp_proxy.inventory import discover, load_printers
    from printbench.cwmp_proxy.proxy import Proxy, ProxyConfig, run_forever

    if not args.printers and not args.discover:
        print("printbench proxy: give --printers FILE or --discover RANGE", file=sys.stderr)
        return 2
    try:
        entries = load_printers(args.printers) if args.printers else []
        if args.discover:
            known = {e.address for e in entries}
            entries += [e for e in await discover(args.discover) if e.address not in known]
    except (InventoryError, ValueError) as exc:
        print(f"printbench proxy: {exc}", file=sys.stderr)
        return 2
    config = ProxyConfig(
        acs_url=args.acs_url,
        host=args.host,
        cr_port=args.cr_port,
        cr_username=args.cr_username,
        cr_password=args.cr_password,
        periodic_inform_interval=args.periodic_interval,
        timeout=args.timeout,
        retries=args.retries,
        poll_intervals={"status": args.poll_status, "config": args.poll_config},
        trap_port=args.trap_port,
        state_dir=None if args.no_state else args.state_dir,
        pki_dir=args.pki,
    )
    try:
        await run_forever(Proxy(config, entries))
    except OSError as exc:
        print(f"printbench proxy: {exc}", file=sys.stderr)
        return 1
    return 0
