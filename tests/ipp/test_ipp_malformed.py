"""1,200+ malformed IPP requests over HTTP: each answered with an IPP status or HTTP 400/413.

Mutations of valid requests (truncation, bit flips, corrupted lengths, bad tags, inserted
bytes, huge values, deep collections, many values, wrong syntaxes) and random bytes. No
response may be a bare HTTP 500 or an IPP server-error-internal-error, rejected
Set-Printer-Attributes requests must leave the printer's settings as they were, and the server
must still answer a normal request afterwards.
"""

from __future__ import annotations

import random
import struct

import aiohttp

from printbench.ipp.codec import IppDecodeError, Tag, decode, encode

SETTINGS_PREFIXES = ("description.", "defaults.", "status.config_changes")


def _settings(state) -> dict[str, object]:
    return {k: v for k, v in state.walk() if k.startswith(SETTINGS_PREFIXES)}


def _valid_requests(uri: str, ipp_request) -> list[tuple[str, bytes]]:
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF\n"
    reqs = [
        (
            "gpa",
            ipp_request(
                0x0B,
                uri,
                ("requested-attributes", Tag.KEYWORD, ["printer-state", "media-col-database"]),
            ),
        ),
        (
            "print",
            ipp_request(
                0x02,
                uri,
                ("document-format", Tag.MIME_MEDIA_TYPE, "application/pdf"),
                ("job:copies", Tag.INTEGER, 2),
                data=pdf,
            ),
        ),
        (
            "set",
            ipp_request(
                0x13,
                uri,
                ("printer:printer-location", Tag.TEXT, "Lab 3"),
                ("printer:copies-default", Tag.INTEGER, 2),
            ),
        ),
        ("create", ipp_request(0x05, uri, ("job-name", Tag.NAME, "x"))),
        (
            "send",
            ipp_request(
                0x06,
                uri,
                ("job-id", Tag.INTEGER, 1),
                ("last-document", Tag.BOOLEAN, True),
                data=pdf,
            ),
        ),
        (
            "jobs",
            ipp_request(
                0x0A,
                uri,
                ("which-jobs", Tag.KEYWORD, "all"),
                ("requested-attributes", Tag.KEYWORD, "all"),
            ),
        ),
        ("cancel", ipp_request(0x08, uri, ("job-id", Tag.INTEGER, 1))),
    ]
    return [(kind, encode(msg)) for kind, msg in reqs]


def _mutations(rng: random.Random, valid: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for _ in range(1100):
        kind, base = rng.choice(valid)
        data = bytearray(base)
        how = rng.randrange(8)
        if how == 0:  # truncate
            data = data[: rng.randrange(len(data))]
        elif how == 1:  # flip bytes
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif how == 2:  # corrupt a length field
            pos = rng.randrange(9, len(data) - 1)
            struct.pack_into(
                ">H", data, pos, rng.choice([0, 1, 0x7FFF, 0xFFFF, rng.randrange(65536)])
            )
        elif how == 3:  # bad tag at an attribute start
            pos = rng.randrange(8, len(data))
            data[pos] = rng.choice(
                [0x00, 0x03, 0x0F, 0x11, 0x37, 0x4A, 0x7F, 0xFF, rng.randrange(256)]
            )
        elif how == 4:  # insert random bytes
            pos = rng.randrange(8, len(data))
            data[pos:pos] = rng.randbytes(rng.randint(1, 30))
        elif how == 5:  # version and request-id games
            data[0:2] = bytes([rng.choice([0, 1, 2, 3, 9, 255]), rng.randrange(256)])
            struct.pack_into(">i", data, 4, rng.choice([0, -1, -(2**31), 2**31 - 1]))
        elif how == 6:  # drop or duplicate a slice
            a = rng.randrange(8, len(data))
            b = min(len(data), a + rng.randint(1, 40))
            data = data[:a] + data[b:] if rng.random() < 0.5 else data[:b] + data[a:b] + data[b:]
        else:  # swap the first two operation attributes / remove the group tag
            data[8] = rng.choice([0x02, 0x04, 0x05, 0x21])
        out.append((kind, bytes(data)))
    for _ in range(60):
        out.append(("random", rng.randbytes(rng.randrange(0, 3000))))
    head = b"\x02\x00\x00\x0b\x00\x00\x00\x07\x01"
    charset = b"\x47\x00\x12attributes-charset\x00\x05utf-8\x48\x00\x1battributes-natural-language\x00\x02en"
    out += [
        ("huge-value", head + charset + b"\x41\x00\x04huge\xff\xff" + b"A" * 65535 + b"\x03"),
        ("huge-name", head + charset + b"\x44\xff\xff" + b"n" * 65535 + b"\x00\x01x\x03"),
        (
            "deep",
            head
            + charset
            + b"\x34\x00\x01c\x00\x00"
            + b"\x4a\x00\x00\x00\x01m\x34\x00\x00\x00\x00" * 200
            + b"\x03",
        ),
        (
            "many-values",
            head
            + charset
            + b"\x44\x00\x14requested-attributes\x00\x01a"
            + b"\x44\x00\x00\x00\x01a" * 250_000
            + b"\x03",
        ),
        ("no-end", head + charset),
        ("empty", b""),
        ("header-only", b"\x02\x00\x00\x0b\x00\x00\x00\x01"),
        ("end-only", b"\x02\x00\x00\x0b\x00\x00\x00\x01\x03"),
        (
            "wrong-syntax",
            head
            + charset
            + b"\x45\x00\x0bprinter-uri\x00\x04ipp:\x21\x00\x14requested-attributes\x00\x04\x00\x00\x00\x01\x03",
        ),
        ("two-op-groups", head + charset + b"\x01" + charset + b"\x03"),
    ]
    return out


ADMIN_BASIC = "Basic YWRtaW46YWRtaW4="  # admin:admin, the profiles' administrator account


async def test_ipp_malformed_requests_get_ipp_errors(
    ipp_serve, ipp_make_device, ipp_request
) -> None:
    device = ipp_make_device("127.30.0.9", seed=9)
    async with ipp_serve({"127.30.0.9": device}, run_engines=False) as server:
        uri = server.uri("127.30.0.9")
        cases = _mutations(random.Random(20260101), _valid_requests(uri, ipp_request))
        assert len(cases) >= 1000
        url = f"http://127.30.0.9:{server.port}/ipp/print"
        statuses: dict[int, int] = {}
        failures: list[str] = []
        connector = aiohttp.TCPConnector(limit=4)
        async with aiohttp.ClientSession(connector=connector) as session:
            for n, (kind, body) in enumerate(cases):
                before = _settings(device.state) if kind == "set" else None
                # as the administrator: the mutated Set-Printer-Attributes reach their checks
                # past the access policy (emulator/ipp/access.py; test_ipp_access.py)
                headers = {"Content-Type": "application/ipp", "Authorization": ADMIN_BASIC}
                async with session.post(url, data=body, headers=headers) as resp:
                    payload = await resp.read()
                    if resp.status in (400, 413):
                        ipp_status = -resp.status
                    elif resp.status != 200 or resp.content_type != "application/ipp":
                        failures.append(f"#{n} {kind}: HTTP {resp.status}")
                        continue
                    else:
                        try:
                            answer = decode(payload)
                        except IppDecodeError as exc:
                            failures.append(f"#{n} {kind}: undecodable response ({exc})")
                            continue
                        ipp_status = answer.code
                        if (
                            len(body) >= 8
                            and answer.request_id != struct.unpack(">i", body[4:8])[0]
                        ):
                            failures.append(f"#{n} {kind}: request-id not echoed")
                        if answer.code >= 0x0500 and answer.code not in (0x0501, 0x0503, 0x0506):
                            failures.append(f"#{n} {kind}: server error 0x{answer.code:04x}")
                statuses[ipp_status] = statuses.get(ipp_status, 0) + 1
                if before is not None and (ipp_status < 0 or ipp_status >= 0x0400):
                    after = _settings(device.state)
                    if after != before:
                        changed = sorted(k for k in after if after[k] != before.get(k))
                        failures.append(f"#{n} rejected Set-Printer-Attributes changed {changed}")
        print("statuses:", sorted(statuses.items()))
        assert not failures, failures[:20]
        # most mutations are refused, some survive as valid requests; both kinds occur
        rejected = sum(c for s, c in statuses.items() if s < 0 or s >= 0x0400)
        assert rejected >= 700, statuses
        # and the printer still works
        async with aiohttp.ClientSession() as session:
            body = encode(
                ipp_request(0x0B, uri, ("requested-attributes", Tag.KEYWORD, "printer-state"))
            )
            async with session.post(
                url, data=body, headers={"Content-Type": "application/ipp"}
            ) as resp:
                assert resp.status == 200 and decode(await resp.read()).code == 0
