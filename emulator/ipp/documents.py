"""What a printed document is: decompression and page counting, pure.

The behaviour engine needs a page count to consume paper and toner. A real printer gets it
by interpreting the document; the emulator reads only the structure that says how many pages
there are:

* PDF: page objects ``/Type /Page`` (not the ``/Pages`` tree nodes);
* PostScript: the DSC comment ``%%Pages: N``, else the number of ``%%Page:`` comments;
* PWG raster (``RaS2``): the page headers, walking each page's run-length-encoded lines;
* JPEG and anything else: one page.
"""

from __future__ import annotations

import re
import struct
import zlib

__all__ = ["DocumentError", "count_pages", "decompress", "sniff_format"]

MAX_DOCUMENT = 64 * 1024 * 1024  # decompressed bytes accepted per document


class DocumentError(ValueError):
    """A document that cannot be read (bad compression, too large)."""


def decompress(data: bytes, compression: str) -> bytes:
    """The document bytes for ``compression`` none, gzip or deflate (capped at 64 MiB)."""
    if compression in ("", "none"):
        return data
    if compression == "gzip":
        wbits = 16 + zlib.MAX_WBITS
    elif compression == "deflate":
        wbits = -zlib.MAX_WBITS
    else:
        raise DocumentError(f"compression {compression!r} is not supported")
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, MAX_DOCUMENT + 1)
    except zlib.error as exc:
        raise DocumentError(f"document is not valid {compression} data: {exc}") from None
    if len(out) > MAX_DOCUMENT:
        raise DocumentError(f"document is larger than {MAX_DOCUMENT} bytes once decompressed")
    return out


def sniff_format(data: bytes) -> str:
    """The MIME type a document's first bytes announce (application/octet-stream if unknown)."""
    if data.startswith(b"%PDF"):
        return "application/pdf"
    if data.startswith(b"%!"):
        return "application/postscript"
    if data.startswith(b"RaS2"):
        return "image/pwg-raster"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"UNIRAST"):
        return "image/urf"
    if data.startswith(b"\x1b%-12345X") or data.startswith(b"\x1bE"):
        return "application/vnd.hp-PCL"
    return "application/octet-stream"


_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z0-9])")
_PS_PAGES = re.compile(rb"^%%Pages:\s*(\d+)", re.MULTILINE)
_PS_PAGE = re.compile(rb"^%%Page:", re.MULTILINE)


def count_pages(data: bytes, document_format: str) -> int:
    """Pages in ``data`` (at least 1); the format is sniffed when it is octet-stream."""
    fmt = document_format
    if fmt in ("application/octet-stream", ""):
        fmt = sniff_format(data)
    if fmt == "application/pdf":
        pages = len(_PDF_PAGE.findall(data))
    elif fmt == "application/postscript":
        m = _PS_PAGES.search(data)
        pages = int(m.group(1)) if m else len(_PS_PAGE.findall(data))
    elif fmt == "image/pwg-raster":
        pages = _pwg_raster_pages(data)
    else:
        pages = 1
    return max(1, min(pages, 1_000_000))


_PWG_HEADER = 1796
_PWG_FIELDS = struct.Struct(">II8xII")  # cupsWidth(372) cupsHeight(376) bpp(388) bpl(392)


def _pwg_raster_pages(data: bytes) -> int:
    """Walk PWG raster pages: each is a 1796-byte header then PackBits-style encoded lines."""
    if not data.startswith(b"RaS2"):
        return 1
    pos, n, pages = 4, len(data), 0
    while pos + _PWG_HEADER <= n:
        _width, height, bits_per_pixel, bytes_per_line = _PWG_FIELDS.unpack_from(data, pos + 372)
        pos += _PWG_HEADER
        pages += 1
        if not (0 < height <= 1_000_000 and 0 < bytes_per_line <= 10_000_000 and bits_per_pixel):
            break
        unit = max(1, bits_per_pixel // 8)
        lines = 0
        while lines < height and pos < n:
            lines += data[pos] + 1  # line repeat count
            pos += 1
            filled = 0
            while filled < bytes_per_line and pos < n:
                control = data[pos]
                pos += 1
                if control < 128:  # repeat the next pixel control+1 times
                    filled += (control + 1) * unit
                    pos += unit
                else:  # 257-control literal pixels
                    count = (257 - control) * unit
                    filled += count
                    pos += count
        if lines < height:
            break  # truncated page: count it, stop walking
    return pages
