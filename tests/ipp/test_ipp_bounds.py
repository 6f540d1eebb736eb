"""Bounded IPP jobs and no frozen loop (issue 17 item 2), malformed printer-uri (item 3).

- A job created without its documents is aborted after ``multiple-operation-time-out``
  (RFC 8011 §5.4 multiple-operation-time-out, multiple-operation-time-out-action abort-job);
- held jobs have a per-printer and a per-user bound (profile ``ipp.max_held_jobs``,
  ``ipp.max_held_jobs_per_user``), answered with server-error-too-many-jobs (0x050B);
- Cancel-My-Jobs over 8,000 held jobs runs in slices: a request on another connection of the
  same event loop is answered while the cancel is still going on;
- no printer-uri or job-uri value, however mangled, gets server-error-internal-error.
"""

from __future__ import annotations

import asyncio
import random

from printbench.common.clock import FakeClock
from printbench.emulator import state as st
from printbench.emulator.behaviour import PrinterEngine
from printbench.emulator.ipp.operations import Context, respond
from printbench.emulator.profiles import build_printer
from printbench.ipp.codec import Attribute, Group, Message, Tag, decode, encode
from tests.ipp.conftest import Device

CREATE_JOB, SEND_DOCUMENT, GET_JOB, PRINT_JOB, CANCEL_MY_JOBS, GPA = 5, 6, 9, 2, 0x39, 0x0B
TOO_MANY_JOBS = 0x050B
URI = "ipp://127.30.3.1:631/ipp/print"


def _device(**ipp: int) -> Device:
    clock = FakeClock()
    state = build_printer("color-laser-mfp", seed=2, clock=clock, host="127.30.3.1")
    cfg = getattr(state, "ipp", None)  # (absent before the bounds existed)
    for name, value in ipp.items():
        if cfg is not None:
            setattr(cfg, name, value)
    return Device(state, PrinterEngine(state, clock, seed=2), clock)


def _request(
    op: int,
    *attrs: tuple[str, int, object],
    user: str = "alice",
    uri: str = URI,
    job: list[tuple[str, int, object]] = (),
    data: bytes = b"",
) -> Message:
    g = Group(0x01)
    g.add("attributes-charset", Tag.CHARSET, "utf-8")
    g.add("attributes-natural-language", Tag.NATURAL_LANGUAGE, "en")
    g.add("printer-uri", Tag.URI, uri)
    g.add("requesting-user-name", Tag.NAME, user)
    for name, tag, value in attrs:
        g.attributes.append(Attribute(name, tag, value if isinstance(value, list) else [value]))
    groups = [g]
    if job:
        groups.append(Group(0x02, [Attribute(n, t, [v]) for n, t, v in job]))
    return Message((2, 0), op, 7, groups, data)


def _call(device: Device, msg: Message) -> Message:
    return respond(msg, Context(device, URI, "http://127.30.3.1/"))


def _attr(resp: Message, name: str) -> object:
    for g in resp.groups:
        for a in g.attributes:
            if a.name == name:
                return a.values[0]
    raise KeyError(name)


def _job_state(device: Device, job_id: int) -> tuple[int, list[str]]:
    resp = _call(device, _request(GET_JOB, ("job-id", Tag.INTEGER, job_id)))
    reasons = next(
        a.values for g in resp.groups for a in g.attributes if a.name == "job-state-reasons"
    )
    return _attr(resp, "job-state"), reasons


def test_ipp_bounds_create_job_without_documents_is_aborted_after_timeout() -> None:
    device = _device(multiple_operation_time_out=60)
    job_id = _attr(_call(device, _request(CREATE_JOB)), "job-id")
    device.clock.advance(30)
    assert _job_state(device, job_id)[0] == 4  # pending-held, still waiting
    device.clock.advance(31)
    device.engine.tick()
    state, reasons = _job_state(device, job_id)
    assert state == 8 and "aborted-by-system" in reasons  # RFC 8011 abort-job


def test_ipp_bounds_each_document_restarts_the_timeout() -> None:
    device = _device(multiple_operation_time_out=60)
    job_id = _attr(_call(device, _request(CREATE_JOB)), "job-id")
    device.clock.advance(50)
    sent = _call(
        device,
        _request(
            SEND_DOCUMENT,
            ("job-id", Tag.INTEGER, job_id),
            ("last-document", Tag.BOOLEAN, False),
            ("document-format", Tag.MIME_MEDIA_TYPE, "application/pdf"),
            data=b"%PDF-1.4\n<< /Type /Page >>\n%%EOF\n",
        ),
    )
    assert sent.code == 0, sent
    device.clock.advance(50)
    device.engine.tick()
    assert _job_state(device, job_id)[0] == 4  # 50 s since the last document: still waiting
    device.clock.advance(11)
    device.engine.tick()
    assert _job_state(device, job_id)[0] == 8


def test_ipp_bounds_held_jobs_per_user_and_per_printer() -> None:
    device = _device(max_held_jobs=5, max_held_jobs_per_user=3)
    for _ in range(3):
        assert _call(device, _request(CREATE_JOB, user="mallory")).code == 0
    refused = _call(device, _request(CREATE_JOB, user="mallory"))
    assert refused.code == TOO_MANY_JOBS
    # job-hold-until jobs count too (Print-Job with a document, held)
    held = _call(
        device,
        _request(
            PRINT_JOB,
            ("document-format", Tag.MIME_MEDIA_TYPE, "application/pdf"),
            user="mallory",
            job=[("job-hold-until", Tag.KEYWORD, "indefinite")],
            data=b"%PDF-1.4\n<< /Type /Page >>\n%%EOF\n",
        ),
    )
    assert held.code == TOO_MANY_JOBS
    assert _call(device, _request(CREATE_JOB, user="bob")).code == 0
    assert _call(device, _request(CREATE_JOB, user="carol")).code == 0
    assert _call(device, _request(CREATE_JOB, user="dave")).code == TOO_MANY_JOBS  # 5 held
    # a job that prints at once is not held: it is still accepted
    ok = _call(
        device,
        _request(
            PRINT_JOB,
            ("document-format", Tag.MIME_MEDIA_TYPE, "application/pdf"),
            user="dave",
            data=b"%PDF-1.4\n<< /Type /Page >>\n%%EOF\n",
        ),
    )
    assert ok.code == 0
    assert sum(1 for j in device.state.jobs if j.state == "pending-held") == 5


def _held_jobs(device: Device, count: int, user: str) -> None:
    """``count`` jobs waiting for documents, added as rows (creating 8,000 through the
    engine one by one would test creation, not the cancel)."""
    state = device.state
    for _ in range(count):
        job = st.Job(
            index=state.status.next_job_id,
            user=user,
            state="pending-held",
            state_reasons=("job-incoming",),
            pages=0,
        )
        state.status.next_job_id += 1
        state.jobs.append(job)
        job._attach(state, f"jobs.{job.index}.")


async def _post(
    host: str, port: int, msg: Message
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection(host, port)
    body = encode(msg)
    writer.write(
        b"POST /ipp/print HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/ipp\r\n"
        b"Content-Length: %d\r\n\r\n" % (host.encode(), port, len(body)) + body
    )
    await writer.drain()
    return reader, writer


async def _answer(reader: asyncio.StreamReader) -> Message:
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(
        next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[
            1
        ]
    )
    return decode(await reader.readexactly(length))


async def test_ipp_bounds_cancel_of_8000_held_jobs_leaves_the_loop_free(ipp_serve) -> None:
    """Issue 17: one Cancel-My-Jobs over 8,000 held jobs froze the printer. Now a request on
    another connection is answered while the cancel is still running (slices)."""
    host = "127.30.3.2"
    device = _device(max_held_jobs=10_000, max_held_jobs_per_user=10_000, max_active_jobs=10_000)
    _held_jobs(device, 8000, "mallory")
    async with ipp_serve({host: device}, run_engines=False) as server:
        cancel = _request(CANCEL_MY_JOBS, user="mallory", uri=server.uri(host))
        probe = _request(
            GPA, ("requested-attributes", Tag.KEYWORD, ["printer-state"]), uri=server.uri(host)
        )
        r1, w1 = await _post(host, server.port, cancel)
        r2, w2 = await _post(host, server.port, probe)
        answered = await _answer(r2)
        left_when_answered = sum(1 for j in device.state.jobs if j.state == "pending-held")
        done = await _answer(r1)
        for w in (w1, w2):
            w.close()
    assert answered.code == 0 and done.code == 0
    assert 0 < left_when_answered < 8000, left_when_answered  # answered during the cancel
    assert not any(j.state == "pending-held" for j in device.state.jobs)
    assert device.state.counters.canceled_jobs == 8000
    assert len(device.state.jobs) <= device.engine.max_history  # history trimmed in one pass


# -- issue 17 item 3: malformed printer-uri --------------------------------------------------


def test_ipp_bounds_bad_ipv6_printer_uri_is_a_client_error() -> None:
    device = _device()
    for uri in (
        "http://[::1/",
        "ipp://[::1/ipp/print",
        "ipp://host:99999/ipp/print",
        "ipp://host:port/ipp/print",
        "ipp://[zz::1]/ipp/print",
    ):
        resp = _call(device, _request(GPA, uri=uri))
        assert resp.code == 0x0400, (uri, hex(resp.code))
    resp = _call(
        device,
        Message(
            (2, 0),
            GET_JOB,
            9,
            [
                Group(
                    0x01,
                    [
                        Attribute("attributes-charset", Tag.CHARSET, ["utf-8"]),
                        Attribute("attributes-natural-language", Tag.NATURAL_LANGUAGE, ["en"]),
                        Attribute("job-uri", Tag.URI, ["ipp://[::1/ipp/print/1"]),
                    ],
                )
            ],
        ),
    )
    assert resp.code == 0x0400


_NASTY = "[]:/@?#%\x00\x7f \t\\.0123456789abcdefABCDEF-_~!$&'()*+,;=\u00e9\ufffd"


def _mutate(rng: random.Random, uri: str) -> str:
    chars = list(uri)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(3)
        pos = rng.randrange(len(chars) + 1)
        if op == 0 or not chars:
            chars.insert(pos, rng.choice(_NASTY))
        elif op == 1 and pos < len(chars):
            del chars[pos]
        elif pos < len(chars):
            chars[pos] = rng.choice(_NASTY)
    return "".join(chars)


def test_ipp_bounds_mutated_printer_and_job_uris_never_an_internal_error() -> None:
    """A seeded mutation run (2,000 printer-uri and 1,000 job-uri values)."""
    rng = random.Random(17)
    device = _device()
    seeds = (
        "ipp://[::1]:631/ipp/print",
        "http://127.0.0.1:8631/ipp/print",
        "ipps://printer.example:443/",
        "ipp://[fe80::1%25eth0]/ipp/print",
    )
    statuses: dict[int, int] = {}
    for n in range(2000):
        uri = _mutate(rng, rng.choice(seeds))
        op = rng.choice((GPA, GET_JOB, CREATE_JOB, CANCEL_MY_JOBS))
        attrs = [("job-id", Tag.INTEGER, 1)] if op == GET_JOB else []
        resp = _call(device, _request(op, *attrs, uri=uri))
        statuses[resp.code] = statuses.get(resp.code, 0) + 1
        assert resp.code < 0x0500, (n, uri, hex(resp.code))
    for n in range(1000):
        uri = _mutate(rng, rng.choice(seeds)) + f"/{rng.randint(0, 10**12)}"
        msg = Message(
            (2, 0),
            GET_JOB,
            9,
            [
                Group(
                    0x01,
                    [
                        Attribute("attributes-charset", Tag.CHARSET, ["utf-8"]),
                        Attribute("attributes-natural-language", Tag.NATURAL_LANGUAGE, ["en"]),
                        Attribute("job-uri", Tag.URI, [uri]),
                    ],
                )
            ],
        )
        resp = _call(device, msg)
        assert resp.code < 0x0500, (n, uri, hex(resp.code))
    assert statuses.get(0x0400, 0) > 0 and statuses.get(0x0406, 0) + statuses.get(0, 0) > 0
