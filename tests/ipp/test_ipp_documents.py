"""Page counting and decompression of printed documents."""

from __future__ import annotations

import gzip
import struct
import zlib

import pytest

from printbench.emulator.ipp.documents import DocumentError, count_pages, decompress, sniff_format


def _pdf(pages: int) -> bytes:
    kids = b" ".join(b"%d 0 R" % (3 + i) for i in range(pages))
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    body += b"2 0 obj << /Type /Pages /Kids [" + kids + b"] /Count %d >> endobj\n" % pages
    for i in range(pages):
        body += b"%d 0 obj << /Type/Page /Parent 2 0 R >> endobj\n" % (3 + i)
    return body + b"%%EOF\n"


def _pwg_page(height: int, bytes_per_line: int, bpp: int = 8) -> bytes:
    header = bytearray(1796)
    header[0:10] = b"PwgRaster\x00"
    struct.pack_into(">II", header, 372, bytes_per_line * 8 // bpp, height)
    struct.pack_into(">II", header, 388, bpp, bytes_per_line)
    # each line group: repeat count 0, then runs of up to 128 identical pixels
    unit = max(1, bpp // 8)
    line = b""
    remaining = bytes_per_line // unit
    while remaining:
        run = min(128, remaining)
        line += bytes([run - 1]) + b"\xff" * unit
        remaining -= run
    return bytes(header) + (b"\x00" + line) * height


def test_ipp_pdf_counts_page_objects_not_the_pages_tree() -> None:
    assert count_pages(_pdf(7), "application/pdf") == 7
    assert count_pages(_pdf(3), "application/octet-stream") == 3  # sniffed


def test_ipp_postscript_uses_dsc_comments() -> None:
    assert (
        count_pages(b"%!PS-Adobe-3.0\n%%Pages: 12\n%%EndComments\n", "application/postscript") == 12
    )
    body = b"%!PS\n" + b"".join(b"%%%%Page: %d %d\nshowpage\n" % (i, i) for i in range(1, 5))
    assert count_pages(body, "application/postscript") == 4
    assert (
        count_pages(b"%!PS-Adobe-3.0\n%%Pages: (atend)\n%%Page: 1 1\n", "application/postscript")
        == 1
    )


def test_ipp_pwg_raster_walks_page_headers() -> None:
    data = b"RaS2" + _pwg_page(10, 300) + _pwg_page(4, 300, bpp=24) + _pwg_page(2, 50)
    assert sniff_format(data) == "image/pwg-raster"
    assert count_pages(data, "image/pwg-raster") == 3
    assert count_pages(data[:-5], "image/pwg-raster") == 3  # truncated last page still counts
    assert count_pages(b"RaS2", "image/pwg-raster") == 1


def test_ipp_jpeg_and_unknown_are_one_page() -> None:
    assert count_pages(b"\xff\xd8\xff\xe0" + b"\x00" * 50, "image/jpeg") == 1
    assert count_pages(b"garbage", "application/octet-stream") == 1


def test_ipp_decompress_gzip_deflate_and_errors() -> None:
    doc = _pdf(5)
    assert decompress(gzip.compress(doc), "gzip") == doc
    raw = zlib.compressobj(wbits=-15)
    assert decompress(raw.compress(doc) + raw.flush(), "deflate") == doc
    with pytest.raises(DocumentError, match="gzip"):
        decompress(b"not gzip", "gzip")
    with pytest.raises(DocumentError, match="not supported"):
        decompress(doc, "compress")
    bomb = gzip.compress(b"\x00" * (65 * 1024 * 1024))
    with pytest.raises(DocumentError, match="larger"):
        decompress(bomb, "gzip")
