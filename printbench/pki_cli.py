"""``printbench pki DIR``: write a test PKI (root, intermediate, ACS and CPE certificates).

For users who run ``printbench acs --cert/--key --client-ca`` and printers with their own
client certificates outside the test suite; the tests build the same set in memory
(:mod:`printbench.common.pki`).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from printbench.common import pki

_CPE = re.compile(r"^[0-9A-Fa-f]{6}-\S+$")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "pki", help="write a test PKI: CA, ACS server certificate, one client certificate per CPE"
    )
    p.add_argument("folder", type=Path, help="folder to write the PEM files into")
    p.add_argument(
        "--acs-host",
        action="append",
        default=[],
        help=f"host name or IP the ACS certificate is for (repeatable; default "
        f"{', '.join(pki.ACS_HOSTS)})",
    )
    p.add_argument(
        "--cpe",
        action="append",
        default=[],
        metavar="OUI-SERIAL",
        help="a CPE client certificate with this OUI-SerialNumber subject (repeatable)",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    bad = [c for c in args.cpe if not _CPE.match(c)]
    if bad:
        print(
            f"printbench pki: --cpe {bad[0]!r}: expected OUI-SerialNumber, the OUI being six "
            "hexadecimal digits (TR-069 DeviceId)",
            file=sys.stderr,
        )
        return 2
    built = pki.build_pki(tuple(args.acs_host) or pki.ACS_HOSTS)
    for c in args.cpe:
        oui, _, serial = c.partition("-")
        built.add_cpe(oui.upper(), serial)
    files = pki.write_pki(built, args.folder)
    print(f"CA file (trust anchors): {files.ca}")
    print(f"ACS certificate chain and key: {files.acs_cert} {files.acs_key}")
    for cn in built.cpes:
        cert, key = files.cpe(cn)
        print(f"CPE {cn}: {cert} {key}")
    return 0
