"""A small test PKI for TLS between CPEs and the ACS (TR-069 §3.3), made with ``cryptography``.

Why it exists: TR-069 §3.3 (Amendment 6) says that over TLS the CPE MUST authenticate the
ACS by its certificate, validated against a trusted root certificate, with the host part of
the ACS URL as the reference identifier (RFC 6125; an IP address against the presented IP
identifiers), and that TLS allows certificate-based authentication of the CPE in place of a
shared secret. Testing that needs a root, an intermediate, an ACS server certificate for a
loopback host, one client certificate per CPE, and certificates that must be refused
(expired, wrong host, untrusted issuer, wrong subject). Tests and ``printbench pki`` build
the same set here. (Wording as read in translations of TR-069 Amd 6 §3.3:
https://www.cnblogs.com/kevin4X/p/16814205.html, https://programmerteach.com/p/tr-069-issue-1-6th-revised-edition-6;
the BBF PDF is not in /work/shared.)

The CPE certificate's subject carries the CPE's identity as ``OUI-SerialNumber`` in the
CommonName and the serialNumber attribute. The issue that asked for this quotes TR-069 as
recommending it; the exact sentence was not found in any copy reachable here, so the ACS's
verdict on it is optional (``acs_stub.tls``).

Keys are EC P-256 (fast to make: a fleet gets one certificate per printer). Nothing here
touches the network; :func:`write_pki` writes PEM files into a folder.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: Host names the ACS server certificate is issued for by default (loopback).
ACS_HOSTS: tuple[str, ...] = ("localhost", "127.0.0.1")
#: The name the deliberately wrong ACS certificate is issued for (RFC 6761 .invalid).
WRONG_HOST = "wrong-host.printbench.invalid"
DAY = dt.timedelta(days=1)
#: The ``ParameterTree`` attribute where a CPE runtime keeps its certificates' TR-181 rows
#: (``cwmp_cpe.certificates`` writes it, ``datamodel.certificates`` serves it).
TREE_ATTRIBUTE = "security_certificates"


class PkiError(ValueError):
    """A certificate or key file cannot be read; the message names the file."""


@dataclass(frozen=True)
class Issued:
    """One certificate with its private key (PEM)."""

    cert_pem: bytes
    key_pem: bytes

    @property
    def cert(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem)


def cpe_common_name(oui: str, serial: str) -> str:
    """``OUI-SerialNumber``, the CPE identity form TR-069 uses (e.g. for the DeviceId)."""
    return f"{oui}-{serial}"


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _name(cn: str, *, org: str = "printbench test PKI", serial: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ]
    if serial is not None:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(attrs)


def _sans(hosts: tuple[str, ...]) -> x509.SubjectAlternativeName:
    out: list[x509.GeneralName] = []
    for h in hosts:
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            out.append(x509.DNSName(h))
    return x509.SubjectAlternativeName(out)


def issue(
    subject: x509.Name,
    issuer: Issued | None,
    *,
    ca: bool = False,
    path_length: int | None = None,
    hosts: tuple[str, ...] = (),
    client: bool = False,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> Issued:
    """A certificate for ``subject`` signed by ``issuer`` (None: self-signed)."""
    key = _key()
    now = dt.datetime.now(dt.UTC)
    start = not_before or now - DAY
    end = not_after or now + 365 * DAY
    if issuer is None:
        sign_key: ec.EllipticCurvePrivateKey = key
        issuer_name = subject
    else:
        loaded = serialization.load_pem_private_key(issuer.key_pem, None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        sign_key = loaded
        issuer_name = issuer.cert.subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(sign_key.public_key()), False
        )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    else:
        usage = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
        builder = builder.add_extension(usage, critical=True)
        eku = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
    if hosts:
        builder = builder.add_extension(_sans(hosts), critical=False)
    cert = builder.sign(sign_key, hashes.SHA256())
    return Issued(cert.public_bytes(serialization.Encoding.PEM), _pem_key(key))


@dataclass
class TestPki:
    """Root → intermediate → ACS server and CPE client certificates, plus refused ones.

    ``chain_pem`` (intermediate then root) is the CA file a CPE or the ACS trusts; leaf
    certificates are served with the intermediate appended (``*_chain``).
    """

    root: Issued
    intermediate: Issued
    acs: Issued
    acs_wrong_host: Issued
    acs_expired: Issued
    acs_untrusted: Issued
    rogue_root: Issued
    cpes: dict[str, Issued] = field(default_factory=dict)

    @property
    def ca_pem(self) -> bytes:
        """The trust anchors: the root and the intermediate (so a leaf alone verifies)."""
        return self.root.cert_pem + self.intermediate.cert_pem

    def chain(self, leaf: Issued) -> bytes:
        """A leaf issued by the intermediate, with the intermediate after it."""
        return leaf.cert_pem + self.intermediate.cert_pem

    def add_cpe(self, oui: str, serial: str, *, product_class: str = "") -> Issued:
        """A client certificate whose subject carries ``OUI-SerialNumber`` (CN and
        serialNumber), issued by the intermediate; kept under that name."""
        cn = cpe_common_name(oui, serial)
        org = f"{oui} {product_class}".strip()
        cert = issue(_name(cn, org=org, serial=cn), self.intermediate, client=True)
        self.cpes[cn] = cert
        return cert

    def cpe_wrong_subject(self) -> Issued:
        """Trusted issuer, but a subject that names no CPE (must be judged, not identified)."""
        return issue(_name("printbench-generic-client"), self.intermediate, client=True)

    def cpe_untrusted(self, oui: str, serial: str) -> Issued:
        """The right subject, issued by a root nobody trusts (the handshake must fail)."""
        cn = cpe_common_name(oui, serial)
        return issue(_name(cn, serial=cn), self.rogue_root, client=True)

    def cpe_expired(self, oui: str, serial: str) -> Issued:
        cn = cpe_common_name(oui, serial)
        now = dt.datetime.now(dt.UTC)
        return issue(
            _name(cn, serial=cn),
            self.intermediate,
            client=True,
            not_before=now - 30 * DAY,
            not_after=now - DAY,
        )


def build_pki(acs_hosts: tuple[str, ...] = ACS_HOSTS) -> TestPki:
    """A fresh test PKI; the ACS certificate is issued for ``acs_hosts`` (names or IPs)."""
    root = issue(_name("printbench test root CA"), None, ca=True, path_length=1)
    inter = issue(_name("printbench test intermediate CA"), root, ca=True, path_length=0)
    rogue = issue(_name("printbench untrusted root CA", org="rogue"), None, ca=True)
    now = dt.datetime.now(dt.UTC)
    return TestPki(
        root=root,
        intermediate=inter,
        acs=issue(_name(acs_hosts[0]), inter, hosts=acs_hosts),
        acs_wrong_host=issue(_name(WRONG_HOST), inter, hosts=(WRONG_HOST,)),
        acs_expired=issue(
            _name(acs_hosts[0]),
            inter,
            hosts=acs_hosts,
            not_before=now - 30 * DAY,
            not_after=now - DAY,
        ),
        acs_untrusted=issue(_name(acs_hosts[0], org="rogue"), rogue, hosts=acs_hosts),
        rogue_root=rogue,
    )


@dataclass(frozen=True)
class PkiFiles:
    """Where :func:`write_pki` put things."""

    folder: Path
    ca: Path
    acs_cert: Path
    acs_key: Path

    def cpe(self, cn: str) -> tuple[Path, Path]:
        """(certificate chain, key) of the CPE ``cn`` (``OUI-SerialNumber``)."""
        return self.folder / "cpe" / f"{cn}.pem", self.folder / "cpe" / f"{cn}.key"

    def named(self, name: str) -> tuple[Path, Path]:
        """(certificate chain, key) of one of the named extra certificates."""
        return self.folder / f"{name}.pem", self.folder / f"{name}.key"


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if secret:
        path.chmod(0o600)


def write_pki(pki: TestPki, folder: Path) -> PkiFiles:
    """Write every certificate and key of ``pki`` as PEM under ``folder``.

    ``ca.pem`` (trust anchors), ``acs.pem``/``acs.key`` (server chain and key), the refused
    ACS certificates (``acs-wrong-host``, ``acs-expired``, ``acs-untrusted``), the refused
    CPE certificates (``cpe-wrong-subject``, ``cpe-untrusted-<cn>``...) and one
    ``cpe/<OUI-Serial>.pem``/``.key`` per CPE.
    """
    folder = Path(folder)
    _write(folder / "ca.pem", pki.ca_pem)
    _write(folder / "root.pem", pki.root.cert_pem)
    # the issuing CA's key too: a fleet or a proxy issues its devices' certificates from the
    # folder later (issue_cpe_files); this is a test PKI, never a real one
    _write(folder / "intermediate.pem", pki.intermediate.cert_pem)
    _write(folder / "intermediate.key", pki.intermediate.key_pem, secret=True)
    _write(folder / "acs.pem", pki.chain(pki.acs))
    _write(folder / "acs.key", pki.acs.key_pem, secret=True)
    for name, leaf, chained in (
        ("acs-wrong-host", pki.acs_wrong_host, True),
        ("acs-expired", pki.acs_expired, True),
        ("acs-untrusted", pki.acs_untrusted, False),
        ("cpe-wrong-subject", pki.cpe_wrong_subject(), True),
    ):
        _write(folder / f"{name}.pem", pki.chain(leaf) if chained else leaf.cert_pem)
        _write(folder / f"{name}.key", leaf.key_pem, secret=True)
    for cn, leaf in pki.cpes.items():
        oui, _, serial = cn.partition("-")
        _write(folder / "cpe" / f"{cn}.pem", pki.chain(leaf))
        _write(folder / "cpe" / f"{cn}.key", leaf.key_pem, secret=True)
        untrusted = pki.cpe_untrusted(oui, serial)
        _write(folder / f"cpe-untrusted-{cn}.pem", untrusted.cert_pem)
        _write(folder / f"cpe-untrusted-{cn}.key", untrusted.key_pem, secret=True)
    return PkiFiles(folder, folder / "ca.pem", folder / "acs.pem", folder / "acs.key")


def ensure_pki(folder: Path, acs_hosts: tuple[str, ...] = ACS_HOSTS) -> PkiFiles:
    """The test PKI in ``folder``, written there first if it has none (``ca.pem``)."""
    folder = Path(folder)
    if not (folder / "ca.pem").exists() or not (folder / "intermediate.key").exists():
        return write_pki(build_pki(acs_hosts), folder)
    return PkiFiles(folder, folder / "ca.pem", folder / "acs.pem", folder / "acs.key")


def issue_cpe_files(folder: Path, oui: str, serial: str) -> tuple[Path, Path]:
    """(certificate chain, key) of the CPE ``OUI-serial`` in the PKI ``folder``, issued by its
    intermediate on first use (one file pair per device: a fleet's printers each get one)."""
    folder = Path(folder)
    cn = cpe_common_name(oui, serial)
    cert_path, key_path = folder / "cpe" / f"{cn}.pem", folder / "cpe" / f"{cn}.key"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    try:
        inter = Issued(
            (folder / "intermediate.pem").read_bytes(), (folder / "intermediate.key").read_bytes()
        )
    except OSError as exc:
        raise PkiError(
            f"{folder}: no issuing CA ({exc.strerror}); make one with: printbench pki {folder}"
        ) from None
    leaf = issue(_name(cn, org=oui, serial=cn), inter, client=True)
    _write(key_path, leaf.key_pem, secret=True)
    _write(cert_path, leaf.cert_pem + inter.cert_pem)
    return cert_path, key_path


# -- reading certificates (for the ACS's judge and Device.Security.Certificate.{i}.) ------


def load_certificate(path: Path) -> x509.Certificate:
    """The first certificate of a PEM file (a chain starts with its leaf)."""
    try:
        return x509.load_pem_x509_certificate(Path(path).read_bytes())
    except OSError as exc:
        raise PkiError(f"{path}: cannot read the certificate: {exc.strerror}") from None
    except ValueError as exc:
        raise PkiError(f"{path}: not a PEM certificate ({exc})") from None


def _dt(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe(cert: x509.Certificate) -> dict[str, str]:
    """The TR-181 ``Device.Security.Certificate.{i}.`` values of one certificate.

    TR-181 2.17: SerialNumber is the hex serial with colons, Issuer/Subject the RFC 4514
    distinguished names, NotBefore/NotAfter dateTimes, SubjectAlt the DNS/IP names
    (comma-separated), SignatureAlgorithm the algorithm name (RFC 3279 style).
    """
    serial = f"{cert.serial_number:x}"
    serial = serial if len(serial) % 2 == 0 else "0" + serial
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        alt = [str(v) for v in san.get_values_for_type(x509.DNSName)]
        alt += [str(v) for v in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        alt = []
    oid = cert.signature_algorithm_oid
    return {
        "SerialNumber": ":".join(serial[i : i + 2] for i in range(0, len(serial), 2)),
        "Issuer": cert.issuer.rfc4514_string(),
        "NotBefore": _dt(cert.not_valid_before_utc),
        "NotAfter": _dt(cert.not_valid_after_utc),
        "Subject": cert.subject.rfc4514_string(),
        "SubjectAlt": ",".join(alt),
        "SignatureAlgorithm": getattr(oid, "_name", None) or oid.dotted_string,
    }


def subject_identities(cert: x509.Certificate) -> list[str]:
    """The subject's CommonName and serialNumber values (where a CPE identity may be)."""
    out = []
    for oid in (NameOID.COMMON_NAME, NameOID.SERIAL_NUMBER):
        out += [str(a.value) for a in cert.subject.get_attributes_for_oid(oid)]
    return out
