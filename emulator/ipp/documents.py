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
    if data.startswith(b"UNIRAST\0"):
        return "image/urf"
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
        pages = _pdf_pages(data)
    elif fmt == "image/urf":
        pages = _urf_pages(data)
    elif fmt == "application/postscript":
        m = _PS_PAGES.search(data)
        pages = int(m.group(1)) if m else len(_PS_PAGE.findall(data))
    elif fmt == "image/pwg-raster":
        pages = _pwg_raster_pages(data)
    else:
        pages = 1
    return max(1, min(pages, 1_000_000))


_PDF_COUNT = re.compile(rb"/Count\s+(\d{1,7})")
_PDF_OBJSTM = re.compile(rb"/Type\s*/ObjStm\b[^>]*>>\s*stream\r?\n", re.DOTALL)
_MAX_OBJSTM = 16 * 1024 * 1024  # inflated object-stream bytes looked at, per document


def _pdf_pages(data: bytes) -> int:
    """Page objects of a PDF, also those inside compressed object streams (PDF 1.5+, as
    qpdf and CUPS's pdftopdf write them); else the largest page-tree /Count."""
    pages = len(_PDF_PAGE.findall(data))
    budget = _MAX_OBJSTM
    for m in _PDF_OBJSTM.finditer(data):
        if budget <= 0:
            break
        end = data.find(b"endstream", m.end())
        if end < 0:
            break
        inflater = zlib.decompressobj()
        try:
            inner = inflater.decompress(data[m.end() : end], budget)
        except zlib.error:
            continue
        budget -= len(inner)
        pages += len(_PDF_PAGE.findall(inner))
    if pages == 0:
        counts = [int(c) for c in _PDF_COUNT.findall(data)]
        pages = max(counts, default=0)
    return pages


_URF_PAGE = struct.Struct(">BBBB8xIII8x")  # bpp, colour space, duplex, quality, w, h, dpi


def _urf_pages(data: bytes) -> int:
    """Apple raster (URF): "UNIRAST\0", a page count (0 when the writer streams, as CUPS
    does), then per page a 32-byte header and PackBits-like lines where 0x80 ends the line.
    The pages are walked; the header's count is used when the walk finds none."""
    if not data.startswith(b"UNIRAST\0"):
        return 1
    declared = int.from_bytes(data[8:12], "big")
    pos, n, pages = 12, len(data), 0
    while pos + _URF_PAGE.size <= n:
        bpp, _space, _duplex, _quality, width, height, _dpi = _URF_PAGE.unpack_from(data, pos)
        pos += _URF_PAGE.size
        unit = bpp // 8
        if not (unit and 0 < width <= 1_000_000 and 0 < height <= 1_000_000):
            break
        pages += 1
        lines = 0
        while lines < height and pos < n:
            lines += data[pos] + 1
            pos += 1
            filled = 0
            while filled < width and pos < n:
                control = data[pos]
                pos += 1
                if control == 0x80:  # the rest of the line is blank
                    filled = width
                elif control < 0x80:  # the next pixel control+1 times
                    filled += control + 1
                    pos += unit
                else:  # 257-control literal pixels
                    filled += 257 - control
                    pos += (257 - control) * unit
        if lines < height:
            break
    return pages or declared or 1


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
