"""The stub ACS over TLS: server contexts, mutual TLS, and what the CPE's certificate says.

Why a module of its own: the CWMP endpoint (``server.py``) does not care whether a request
came over TLS; this one builds the contexts (TR-069 §3.3: TLS 1.2 or later), adds further
HTTPS listeners to the running endpoint (one with the normal certificate, one requiring a
client certificate, one with a deliberately wrong certificate: what a conformance run needs
side by side), and, when an Inform arrives over TLS, writes a ``tls`` journal entry (listener,
version, cipher, the SNI name the CPE sent, the client certificate as TR-181
``Device.Security.Certificate.{i}.`` values) and judges the client certificate.

Judging: the certificate a CPE presents should identify it, its subject carrying the
``OUI-SerialNumber`` of the Inform's DeviceId (CommonName or serialNumber attribute). The
issue asking for this quotes TR-069 as recommending it; no copy of the sentence was found
(TR-069 §3.3 as read in translations only says TLS "allows certificate-based authentication
in place of shared-secret-based authentication"), so rule ``cpe-cert-identity`` is optional.
A certificate from an issuer the ACS does not trust never gets here: the handshake fails
(``ssl.CERT_REQUIRED`` with the CA file).
"""

from __future__ import annotations

import logging
import ssl
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from cryptography import x509

from printbench.common.pki import cpe_common_name, describe, subject_identities

if TYPE_CHECKING:
    from printbench.acs_stub.server import AcsServer, StubSession

log = logging.getLogger(__name__)

#: Server-side SNI names seen per TLS connection (the callback runs during the handshake).
_SNI: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def _remember_sni(sslobj: Any, name: str | None, _ctx: ssl.SSLContext) -> None:
    if name:
        _SNI[sslobj] = name


def server_context(
    cert: Path, key: Path, *, client_ca: Path | None = None, require_client: bool = False
) -> ssl.SSLContext:
    """A TLS server context (TLS 1.2 at least, TR-069 §3.3). With ``client_ca`` the CPE's
    certificate is verified against it: required (mutual TLS, ``ssl.CERT_REQUIRED``) or,
    without ``require_client``, optional but verified when presented."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    if client_ca is not None:
        ctx.load_verify_locations(cafile=str(client_ca))
        ctx.verify_mode = ssl.CERT_REQUIRED if require_client else ssl.CERT_OPTIONAL
    elif require_client:
        raise ValueError("a client certificate can only be required with a CA file to check it")
    ctx.sni_callback = _remember_sni
    return ctx


async def add_listener(server: AcsServer, name: str, ctx: ssl.SSLContext, host: str) -> int:
    """Serve the CWMP endpoint over TLS on a new port of ``host``; returns the port.

    The listener is one more site of the endpoint's own runner: sessions, journal and judge
    are shared, and ``server.tls_ports`` names the listener each request came in on.
    """
    runner = server.cwmp_runner()
    site = web.TCPSite(runner, host, 0, ssl_context=ctx, backlog=128)
    await site.start()
    sockets = getattr(getattr(site, "_server", None), "sockets", None) or []
    if not sockets:
        raise RuntimeError(f"TLS listener {name} is not listening")
    port = int(sockets[0].getsockname()[1])
    server.tls_ports[port] = name
    return port


def peer_certificate(request: web.Request) -> x509.Certificate | None:
    sslobj = request.transport.get_extra_info("ssl_object") if request.transport else None
    der = sslobj.getpeercert(binary_form=True) if sslobj is not None else None
    return x509.load_der_x509_certificate(der) if der else None


def identity_verdict(
    cert: x509.Certificate | None, oui: str, serial: str
) -> tuple[bool | None, str]:
    """(True/False/None, why): does the client certificate name the CPE of the DeviceId?

    None: no certificate was presented (nothing to judge). Compared case-insensitively on
    the OUI (TR-069 DeviceIdStruct: six hexadecimal digits, upper case by convention).
    """
    if cert is None:
        return None, "no client certificate presented"
    want = cpe_common_name(oui, serial)
    found = subject_identities(cert)
    if any(v.upper() == want.upper() for v in found):
        return True, f"subject carries {want}"
    return False, (
        f"client certificate subject {cert.subject.rfc4514_string()!r} does not carry the "
        f"DeviceId's OUI-SerialNumber {want!r} (CommonName or serialNumber)"
    )


def note_tls(server: AcsServer, request: web.Request, session: StubSession, ref: int) -> None:
    """Journal (and judge) the TLS side of an Inform that came in over TLS."""
    transport = request.transport
    sslobj = transport.get_extra_info("ssl_object") if transport is not None else None
    if sslobj is None:
        return
    sock = transport.get_extra_info("sockname") if transport is not None else None
    port = int(sock[1]) if sock else 0
    device = session.device
    cert = peer_certificate(request)
    ok, why = identity_verdict(cert, device.oui, device.serial_number)
    cipher = sslobj.cipher()
    entry = {
        "listener": server.tls_ports.get(port, "main"),
        "tls_version": sslobj.version(),
        "cipher": cipher[0] if cipher else "",
        "sni": _SNI.get(sslobj, ""),
        "client_certificate": describe(cert) if cert is not None else None,
        "identity_ok": ok,
        "identity": why,
    }
    server.journal.record(
        "tls", "cpe->acs", device=device.id, session=session.id, note=why, tls=entry
    )
    if ok is False and server.config.verdicts:
        server.judge.add(session.view, "cpe-cert-identity", why, ref)
