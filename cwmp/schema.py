"""Validate CWMP envelopes against the Broadband Forum's own XSDs, with no network.

The BBF schemas (``cwmp-1-0.xsd`` ... ``cwmp-1-4.xsd``) import the SOAP envelope and encoding
schemas by URL, and 1-3/1-4 include their predecessors by URL. We load the BBF files
unmodified from ``printbench.common.standards.bbf_dir()`` (they are public standards we read, not
copy) and give lxml a resolver that maps those URLs to local files: the BBF files for the
``broadband-forum.org`` URLs and our own minimal stand-ins (``cwmp/schemas/``) for the two
SOAP namespaces. Any other URL is refused, so validation can never touch the network.

This is a test and conformance tool (a few milliseconds per envelope), not part of the
codec's hot path.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from printbench.cwmp import messages as m
from printbench.cwmp.errors import CwmpError

STANDIN_DIR = Path(__file__).resolve().parent / "schemas"

_BBF_URL = "http://www.broadband-forum.org/cwmp/"
_STANDINS = {
    "http://schemas.xmlsoap.org/soap/envelope/": "soap-envelope.xsd",
    "http://schemas.xmlsoap.org/soap/encoding/": "soap-encoding.xsd",
}

#: Schema file per envelope flavour. "1-4" covers the 1.3 SessionTimeout and the 1.4
#: SupportedCWMPVersions/UseCWMPVersion headers (cwmp-1-4.xsd includes cwmp-1-3.xsd, which
#: includes cwmp-1-2.xsd; all keep the cwmp-1-2 namespace).
SCHEMA_FILES = {
    m.CWMP_1_0: "cwmp-1-0.xsd",
    m.CWMP_1_1: "cwmp-1-1.xsd",
    m.CWMP_1_2: "cwmp-1-2.xsd",
}
SCHEMA_1_4 = "cwmp-1-4.xsd"


class SchemaError(CwmpError):
    """A schema could not be loaded, or a document does not validate."""


def _bbf_dir() -> Path:
    from printbench.common.standards import bbf_dir

    return bbf_dir()


class _LocalResolver(etree.Resolver):
    """Maps the schemas' import/include URLs to local files; refuses everything else."""

    def __init__(self, bbf: Path) -> None:
        super().__init__()
        self.bbf = bbf

    def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
        url = system_url or ""
        for prefix, name in _STANDINS.items():
            if url.rstrip("/") == prefix.rstrip("/"):
                return self.resolve_filename(str(STANDIN_DIR / name), context)
        if url.startswith(_BBF_URL):
            name = url[len(_BBF_URL) :]
            if "/" not in name and name.endswith(".xsd") and (self.bbf / name).is_file():
                return self.resolve_filename(str(self.bbf / name), context)
        if not url.startswith(("http:", "https:", "ftp:")):
            # Relative/local references within the BBF folder.
            path = Path(url)
            if path.is_file() and path.resolve().parent in (self.bbf.resolve(), STANDIN_DIR):
                return None
        raise SchemaError(f"schema reference {url!r} is not available offline")


@cache
def load_schema(filename: str) -> etree.XMLSchema:
    """The compiled schema of BBF file ``filename`` (e.g. "cwmp-1-2.xsd")."""
    bbf = _bbf_dir()
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    parser.resolvers.add(_LocalResolver(bbf))
    path = bbf / filename
    try:
        doc = etree.parse(str(path), parser)
        return etree.XMLSchema(doc)
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise SchemaError(f"{path}: cannot load schema: {exc}") from exc


def schema_for(envelope: m.Envelope) -> str:
    """The BBF schema file an envelope must validate against."""
    ns = envelope.namespace
    uses_new_headers = (
        envelope.session_timeout is not None
        or envelope.supported_cwmp_versions is not None
        or envelope.use_cwmp_version is not None
    )
    if ns == m.CWMP_1_2 and uses_new_headers:
        return SCHEMA_1_4
    try:
        return SCHEMA_FILES[ns]
    except KeyError:
        raise SchemaError(f"no published schema for namespace {ns!r}") from None


def validation_errors_tree(root: etree._Element | etree._ElementTree, filename: str) -> list[str]:
    """Schema errors of an already parsed envelope against BBF schema ``filename``.

    For callers that parse a document once for several checks (the stub ACS reads headers
    from the same tree): they pass the tree instead of the bytes. Empty when valid; each
    error reads ``line N: message``. Raises ``SchemaError`` when the schema cannot be loaded.
    """
    schema = load_schema(filename)
    if schema.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def validation_errors(document: bytes, filename: str) -> list[str]:
    """Schema errors of ``document`` against BBF schema ``filename``; empty when valid."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    root = etree.fromstring(document, parser)
    return validation_errors_tree(root, filename)


def validate(document: bytes, filename: str) -> None:
    """Raise ``SchemaError`` listing every problem if ``document`` is not valid."""
    errors = validation_errors(document, filename)
    if errors:
        raise SchemaError(f"not valid against {filename}: " + "; ".join(errors))
