"""Seeded mutation fuzzers for every face of the bench, over real sockets (issue 17).

Each fuzzer starts from valid requests of its protocol (the seeds, :mod:`.fuzzseeds`), sends
``n`` mutations of them (:class:`.mutate.Mutator`, reproducible from ``seed``) and checks,
case by case, what a hostile peer must never get:

* **HTTP faces** (EWS, control APIs, connection requests, the stub ACS's CWMP face, IPP):
  an answer below 500 (503 only where the face names it as a bound) or a closed connection;
  never a traceback or an ERROR in the log, at most one log line per case; IPP never
  ``server-error-internal-error`` (RFC 8011 §4.1.6.1 gives malformed requests the
  client-error range);
* **SNMP**: an answer that is a well-formed response without genErr, or a drop; a good GET
  sent right behind each mutation is always answered (the agent is alive and in order);
* **CWMP at the CPE**: a hostile ACS sends mutated RPCs; the CPE answers each with a
  well-formed envelope (the response or a Fault, TR-069 §3.4.3) or ends the session, and a
  later session still works;
* **state**: where the input was refused (4xx, an IPP client-error, a SOAP Fault, an SNMP
  error or drop) the printer's state (:meth:`PrinterState.walk`) is what it was before.

A good request is sent every ``probe_every`` cases and at the end: the face still answers.
Every outcome is tallied in a :class:`FuzzReport` (what the closing note of issue 17 lists).
Tests run a few thousand cases (tests/fuzz/); ``benchmarks/fuzz_faces.py`` runs more.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from printbench.loadtest.mutate import Mutator

#: A case waits at most this long for its answer (a guard: the faces close incomplete
#: requests themselves once the peer half-closes; only a hang reaches it).
CASE_TIMEOUT = 10.0

Snapshot = Callable[[], dict[str, Any]]


@dataclass
class FuzzReport:
    """What one fuzz run sent and got: outcomes by kind, and every violation found."""

    face: str
    cases: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    probes: int = 0

    def problem(self, case: int, text: str, data: bytes = b"") -> None:
        if len(self.problems) < 50:  # enough to act on; a flood says nothing more
            self.problems.append(f"case {case}: {text} [input {data[:120]!r}]")

    def line(self) -> str:
        top = ", ".join(f"{k} {v}" for k, v in self.outcomes.most_common(8))
        return (f"{self.face}: {self.cases} inputs, {self.probes} probes answered; outcomes: "
                f"{top}; problems: {len(self.problems)}")  # fmt: skip


class LogWatch(logging.Handler):
    """Collects log records (every logger) so each case can be checked for tracebacks."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @contextlib.contextmanager
    def watching(self) -> Iterator[LogWatch]:
        root = logging.getLogger()
        old = root.level
        root.addHandler(self)
        root.setLevel(min(old, logging.INFO) if old else logging.INFO)
        try:
            yield self
        finally:
            root.removeHandler(self)
            root.setLevel(old)

    def since(self, mark: int) -> list[logging.LogRecord]:
        return [r for r in self.records[mark:] if r.levelno >= logging.INFO]


def _log_problems(records: list[logging.LogRecord]) -> str | None:
    bad = [r for r in records if r.exc_info or r.levelno >= logging.ERROR]
    if bad:
        r = bad[0]
        return f"log {r.levelname} {r.name}: {r.getMessage()[:160]}" + (
            " (with traceback)" if r.exc_info else ""
        )
    if len(records) > 1:
        return f"{len(records)} log lines for one input: " + " | ".join(
            r.getMessage()[:60] for r in records[:3]
        )
    return None


def state_diff(before: dict[str, Any], after: dict[str, Any], ignore: tuple[str, ...]) -> list[str]:
    """Paths whose value differs (rows added or removed included), minus ``ignore`` prefixes."""
    keys = set(before) | set(after)
    return sorted(k for k in keys if before.get(k) != after.get(k) and not k.startswith(ignore))


# -- HTTP ------------------------------------------------------------------------------------


def request_complete(data: bytes) -> bool:
    """Whether ``data`` is, by a plain reading, one whole request (head, then as many body
    bytes as Content-Length says, no chunking): then the fuzzer waits for the answer on an
    open connection; otherwise it half-closes at once, so the server sees the end instead
    of waiting out its body timeout (both are tried: the guess only saves time)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"transfer-encoding":
            return False
        if name == b"content-length":
            try:
                length = int(value.strip())
            except ValueError:
                return False
    return len(body) >= length


def _answer_complete(out: bytes | bytearray) -> bool:
    head, sep, body = out.partition(b"\r\n\r\n")
    if not sep:
        return False
    if head.startswith(b"HTTP/1.1 100 "):
        return _answer_complete(body)
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            try:
                return len(body) >= int(value.strip())
            except ValueError:
                return False
    return False  # no length: the server closes after the body


async def http_exchange(host: str, port: int, data: bytes, *, patience: float = 1.0) -> bytes:
    """Send ``data`` on a new connection and return the first answer (or what came before
    the server closed). An incomplete request is half-closed at once; a complete one that
    got no answer within ``patience`` seconds is half-closed then."""
    reader, writer = await asyncio.open_connection(host, port)
    half_closed = False

    def half_close() -> None:
        nonlocal half_closed
        half_closed = True
        with contextlib.suppress(OSError):
            if writer.can_write_eof():
                writer.write_eof()

    try:
        writer.write(data)
        with contextlib.suppress(OSError):
            await writer.drain()
        if not request_complete(data):
            half_close()
        out = bytearray()
        async with asyncio.timeout(CASE_TIMEOUT):
            while len(out) < 1 << 20 and not _answer_complete(out):
                try:
                    if half_closed:
                        chunk = await reader.read(65536)
                    else:
                        async with asyncio.timeout(patience):
                            chunk = await reader.read(65536)
                except TimeoutError:
                    half_close()
                    continue
                except ConnectionError:
                    break
                if not chunk:
                    break
                out += chunk
        return bytes(out)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def http_status(answer: bytes) -> int | None:
    """The status code of the first HTTP response in ``answer`` (None: no answer)."""
    if not answer.startswith(b"HTTP/1."):
        return None
    if answer[9:13] == b"100 ":  # an interim 100 Continue: the final answer follows it
        rest = answer.partition(b"\r\n\r\n")[2]
        return http_status(rest) if rest else None
    try:
        return int(answer.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def http_body(answer: bytes) -> bytes:
    """The body of the first response (Content-Length bounded)."""
    if answer[9:13] == b"100 ":
        answer = answer.partition(b"\r\n\r\n")[2]
    head, _, rest = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            with contextlib.suppress(ValueError):
                return rest[: int(value.strip())]
    return rest


@dataclass
class HttpFace:
    """One HTTP face to fuzz: where, its seeds, and what counts as refused or good."""

    name: str
    host: str
    port: int
    seeds: list[bytes]
    #: a request that must succeed (2xx) after the fuzzing and between batches (or a
    #: function of the case number making one: an Inform of a device not in session)
    probe: bytes | Callable[[int], bytes]
    #: mutate only the body of each seed (its head kept, Content-Length fixed): seeds are
    #: ``(head_template, body)`` with ``{length}`` in the head; else the raw bytes are mutated
    bodies: list[tuple[bytes, bytes]] | None = None
    #: statuses at or above 500 the face may answer by design: 505 for an HTTP version it
    #: does not speak (RFC 9110 §15.6.6), a documented bound (503)
    allowed_5xx: tuple[int, ...] = (505,)
    #: extra check of one answer (IPP decodes its body); returns a problem or None and the
    #: outcome label
    judge: Callable[[int, bytes], tuple[str | None, str]] | None = None
    snapshot: Snapshot | None = None
    #: statuses the good request may get (a connection request without credentials: 401)
    probe_ok: tuple[int, ...] = (200, 201, 202, 204)
    ignore_state: tuple[str, ...] = ()
    refused: Callable[[int | None, str], bool] = lambda status, label: (
        status is None or status >= 400
    )


def _http_cases(face: HttpFace, n: int, seed: int) -> Iterator[bytes]:
    if face.bodies is None:
        yield from Mutator(face.seeds, seed).cases(n)
        return
    # three in four keep a head that parses and mutate the body; the rest mutate it all
    raw = Mutator(face.seeds, seed + 1)
    rng = Mutator([b for _, b in face.bodies], seed)
    heads = [h for h, _ in face.bodies]
    for _ in range(n):
        if rng.rng.random() < 0.25:
            yield raw.one()
            continue
        i = rng.rng.randrange(len(heads))
        body = rng.one()
        yield heads[i].replace(b"{length}", str(len(body)).encode()) + body


async def fuzz_http(face: HttpFace, n: int, seed: int, *, probe_every: int = 250) -> FuzzReport:
    """``n`` mutated requests to ``face``; see the module doc for what is checked."""
    report = FuzzReport(face.name)
    watch = LogWatch()
    with watch.watching():
        for i, data in enumerate(_http_cases(face, n, seed)):
            before = face.snapshot() if face.snapshot else None
            mark = len(watch.records)
            try:
                answer = await http_exchange(face.host, face.port, data)
            except TimeoutError:
                report.problem(i, f"no answer and no close within {CASE_TIMEOUT} s", data)
                continue
            except OSError as exc:
                report.problem(i, f"connection failed: {exc}", data)
                continue
            report.cases += 1
            status = http_status(answer)
            label = "closed" if status is None else str(status)
            if status is not None and status >= 500 and status not in face.allowed_5xx:
                report.problem(i, f"HTTP {status}: {http_body(answer)[:100]!r}", data)
            if face.judge is not None and status is not None:
                problem, label = face.judge(status, answer)
                if problem:
                    report.problem(i, problem, data)
            report.outcomes[label] += 1
            await asyncio.sleep(0)  # let deferred log lines of this case arrive
            problem = _log_problems(watch.since(mark))
            if problem:
                report.problem(i, problem, data)
            if before is not None and face.snapshot and face.refused(status, label):
                changed = state_diff(before, face.snapshot(), face.ignore_state)
                if changed:
                    report.problem(i, f"refused ({label}) but state changed: {changed[:5]}", data)
            if (i + 1) % probe_every == 0:
                await _http_probe(face, report, i)
        await _http_probe(face, report, n)
    return report


async def _http_probe(face: HttpFace, report: FuzzReport, i: int) -> None:
    try:
        probe = face.probe(i) if callable(face.probe) else face.probe
        answer = await http_exchange(face.host, face.port, probe)
    except (OSError, TimeoutError) as exc:
        report.problem(i, f"good request after the mutations failed: {exc}")
        return
    status = http_status(answer)
    if status not in face.probe_ok:
        report.problem(i, f"good request after the mutations answered {answer[:300]!r}")
    else:
        report.probes += 1


# -- SNMP ------------------------------------------------------------------------------------


class _Udp(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.queue.put_nowait(data)


async def fuzz_snmp(host: str, port: int, seeds: list[bytes], probe: Callable[[int], bytes],
                    n: int, seed: int, *, snapshot: Snapshot | None = None,
                    ignore_state: tuple[str, ...] = ()) -> FuzzReport:  # fmt: skip
    """``n`` mutated datagrams, each followed by a good GET (``probe(request_id)``) that must
    be answered; an answer to the mutation must decode and carry no genErr (RFC 3416 §4.2:
    genErr is for a failure the agent could not otherwise describe)."""
    from printbench.snmp import ber

    report = FuzzReport("snmp")
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(_Udp, remote_addr=(host, port))
    watch = LogWatch()
    try:
        with watch.watching():
            for i, data in enumerate(Mutator(seeds, seed, max_len=1400).cases(n)):
                before = snapshot() if snapshot else None
                mark = len(watch.records)
                probe_id = 0x7F000000 + i
                transport.sendto(data)
                transport.sendto(probe(probe_id))
                report.cases += 1
                answered: list[ber.Message] = []
                try:
                    async with asyncio.timeout(CASE_TIMEOUT):
                        while True:
                            raw = await proto.queue.get()
                            try:
                                msg = ber.decode_message(raw)
                            except ber.BerError as exc:
                                report.problem(i, f"agent sent an undecodable answer: {exc}", data)
                                continue
                            if msg.request_id == probe_id:
                                report.probes += 1
                                break
                            answered.append(msg)
                except TimeoutError:
                    report.problem(i, "the good GET behind the mutation got no answer", data)
                    continue
                if not answered:
                    report.outcomes["dropped"] += 1
                for msg in answered:
                    if msg.pdu_type != ber.RESPONSE:
                        report.problem(i, f"answer of PDU type 0x{msg.pdu_type:02x}", data)
                    if msg.error_status == 5:
                        report.problem(i, "genErr", data)
                    report.outcomes[f"error-status {msg.error_status}"] += 1
                problem = _log_problems([r for r in watch.since(mark) if r.levelno >= 30])
                if problem:
                    report.problem(i, problem, data)
                if (
                    before is not None
                    and snapshot is not None
                    and (not answered or any(m.error_status for m in answered))
                ):
                    changed = state_diff(before, snapshot(), ignore_state)
                    if changed:
                        report.problem(i, f"refused but state changed: {changed[:5]}", data)
    finally:
        transport.close()
    return report


# -- CWMP at the CPE: a hostile ACS ----------------------------------------------------------


@dataclass
class _HostileAcs:
    """The ACS side of :func:`fuzz_cpe`: a valid InformResponse, then mutated RPCs."""

    cases: Iterator[bytes]
    report: FuzzReport
    per_session: int
    snapshot: Snapshot | None
    ignore_state: tuple[str, ...]
    watch: LogWatch
    left: int = 0
    pending: bytes | None = None
    before: dict[str, Any] | None = None
    mark: int = 0
    in_session: int = 0
    index: int = 0

    def judge(self, body: bytes | None) -> None:
        """Judge the CPE's reply (None: the session ended) to the pending mutated RPC."""
        from printbench.cwmp import messages as m
        from printbench.cwmp import soap
        from printbench.cwmp.errors import CwmpDecodeError

        data, self.pending = self.pending, None
        if data is None:
            return
        i = self.index
        self.index += 1
        self.report.cases += 1
        refused = True
        if body is None:
            label = "session ended"
        elif not body.strip():
            label = "empty POST"
        else:
            try:
                env = soap.decode(body)
            except CwmpDecodeError as exc:
                self.report.problem(i, f"CPE answered with an undecodable envelope: {exc}", data)
                label = "undecodable"
            else:
                if isinstance(env.body, m.Fault):
                    label = f"Fault {env.body.fault_code}"
                else:
                    label = env.method or "empty Body"
                    refused = False
        self.report.outcomes[label] += 1
        problem = _log_problems([r for r in self.watch.since(self.mark) if r.levelno >= 30])
        if problem:
            self.report.problem(i, problem, data)
        if refused and self.before is not None and self.snapshot is not None:
            changed = state_diff(self.before, self.snapshot(), self.ignore_state)
            if changed:
                self.report.problem(i, f"refused ({label}) but state changed: {changed[:5]}", data)

    def next_rpc(self) -> bytes | None:
        if self.left <= 0 or self.in_session >= self.per_session:
            return None
        data = next(self.cases, None)
        if data is None:
            return None
        self.left -= 1
        self.in_session += 1
        self.pending = data
        self.before = self.snapshot() if self.snapshot else None
        self.mark = len(self.watch.records)
        return data


def _inform_response(inform: bytes) -> bytes:
    """A correct InformResponse: the Inform's cwmp:ID echoed (TR-069 §3.5), its namespace."""
    from printbench.cwmp import messages as m
    from printbench.cwmp import soap
    from printbench.cwmp.errors import CwmpDecodeError

    try:
        env = soap.decode(inform)
    except CwmpDecodeError:
        env = m.Envelope(body=None)
    return soap.encode(
        m.Envelope(body=m.InformResponse(max_envelopes=1), id=env.id, namespace=env.namespace)
    )


async def fuzz_cpe(cpe: Any, set_acs_url: Callable[[str], None], seeds: list[bytes], n: int,
                   seed: int, *, host: str = "127.0.0.1", per_session: int = 25,
                   snapshot: Snapshot | None = None, ignore_state: tuple[str, ...] = (),
                   session_timeout: float = 30.0) -> FuzzReport:  # fmt: skip
    """A hostile ACS: each session gets a valid InformResponse, then up to ``per_session``
    mutated RPC envelopes (``seeds`` mutated). The CPE (``cwmp_cpe.Cpe``) must answer each
    with a well-formed envelope (a response, or a Fault: TR-069 §3.4.3 / A.5.1) or end the
    session; nothing it logs may be a traceback; a Fault leaves the state as it was. A
    session is started with ``cpe.add_event("6 CONNECTION REQUEST")``; after a failed one
    the retry wait is skipped (this fuzzer is not about retry waits)."""
    from aiohttp import web

    report = FuzzReport("cwmp-cpe")
    watch = LogWatch()
    acs = _HostileAcs(Mutator(seeds, seed, max_len=32768).cases(n), report, per_session,
                      snapshot, ignore_state, watch, left=n)  # fmt: skip
    ended = asyncio.Event()

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if b"Inform>" in body[:2000] and b"InformResponse" not in body[:2000]:
            acs.judge(None)  # a new session: the CPE gave the last one up
            acs.in_session = 0
            return web.Response(body=_inform_response(body), content_type="text/xml")
        acs.judge(body)
        rpc = acs.next_rpc()
        if rpc is None:
            ended.set()
            return web.Response(status=204)
        return web.Response(body=rpc, content_type="text/xml")

    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.router.add_post("/", handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port = next(a for a in runner.addresses if isinstance(a, tuple))[1]
    set_acs_url(f"http://{host}:{port}/")
    try:
        with watch.watching():
            while acs.left > 0:
                ended.clear()
                before = (cpe.sessions, cpe.failed_sessions)
                cpe.retry.on_success()
                cpe.add_event("6 CONNECTION REQUEST")
                try:
                    async with asyncio.timeout(session_timeout):
                        while not ended.is_set() and (cpe.sessions, cpe.failed_sessions) == before:
                            await asyncio.sleep(0.01)
                        await cpe.idle()
                except TimeoutError:
                    report.problem(report.cases, "a session did not end in time")
                    break
                if cpe.failed_sessions != before[1]:
                    acs.judge(None)
                    report.outcomes["session failed"] += 1
                elif (cpe.sessions, cpe.failed_sessions) != before:
                    report.probes += 1  # a session that ended with our 204: the CPE works
    finally:
        await runner.cleanup()
    return report
