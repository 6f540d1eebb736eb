"""TR-181 ``Device.IP.Diagnostics.`` tests really performed over the network (the I/O half of
:mod:`cwmp_cpe.diagnostics`).

Each test runs in a worker thread on blocking sockets with timeouts, so it is bounded by its
own Timeout parameters (or :data:`TRANSFER_LIMIT` for the transfer tests, which have none) and
can be stopped through a ``threading.Event`` (checked at least every 0.5 s); the event loop
never blocks. Why threads: a transfer test must measure the network, not our event loop; a
blocking ``recv_into`` of a 1 MiB buffer reads loopback at the speed ``curl`` does, and the
ICMP error queue (``IP_RECVERR``) is read with ``recvmsg``.

- **IPPing**: ICMP echo over an unprivileged datagram ICMP socket (``socket(AF_INET,
  SOCK_DGRAM, IPPROTO_ICMP)``, allowed when the group is in
  ``/proc/sys/net/ipv4/ping_group_range``), else a raw ICMP socket (root or CAP_NET_RAW).
  With neither the test ends in ``Error_Other``, and the reason says so.
- **TraceRoute**: UDP probes to ports 33434+ with TTL 1, 2, ...; the answers (ICMP time
  exceeded from a hop, port unreachable from the destination) are read from the socket's
  error queue (``IP_RECVERR``, as ``tracepath`` does), which needs no privilege.
- **Download/UploadDiagnostics**: HTTP/1.1 GET or PUT on persistent connections (TR-181:
  "persistent connections MUST be used and pipelining MUST NOT be used"), timestamps taken
  where TR-181 puts them (SYN sent, connect done, request sent, first and last data).
- **ServerSelectionDiagnostics**: IPPing of each host of HostList; the fastest average wins.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from printbench.cwmp_cpe import diagnostics as D

log = logging.getLogger(__name__)

#: Upper bound of a Download/UploadDiagnostics test without TimeBasedTestDuration (TR-181 gives
#: those objects no Timeout parameter; a test must still end: Error_Timeout).
TRANSFER_LIMIT = 120.0
#: How long a TCP connect, or the first byte of the HTTP response, may take before the test
#: gives up (Error_InitConnectionFailed, Error_NoResponse).
CONNECT_TIMEOUT = 10.0
_CHUNK = 102400  # bytes per recv: what curl 7.88 asks for (strace), so both read alike
_TICK = 0.5  # longest wait between checks of the stop event

Runner = Callable[[dict[str, str], threading.Event], D.Outcome]


class _Failed(Exception):
    def __init__(self, state: str, reason: str) -> None:
        super().__init__(reason)
        self.state = state
        self.reason = reason


# =============================================================================================
# shared helpers
# =============================================================================================


def _family(version: str) -> int:
    return {"IPv4": socket.AF_INET, "IPv6": socket.AF_INET6}.get(version, socket.AF_UNSPEC)


def _resolve(host: str, version: str = "Any", kind: int = socket.SOCK_DGRAM) -> tuple[int, str]:
    """(family, address) of ``host``; Error_CannotResolveHostName when it has none."""
    if not host:
        raise _Failed("Error_CannotResolveHostName", "Host is empty")
    try:
        infos = socket.getaddrinfo(host, None, _family(version), kind)
    except (socket.gaierror, UnicodeError) as exc:
        raise _Failed("Error_CannotResolveHostName", f"cannot resolve {host!r}: {exc}") from None
    # IPv4 first under "Any": the ICMP paths below are IPv4 first too.
    infos.sort(key=lambda i: 0 if i[0] == socket.AF_INET else 1)
    fam, *_, addr = infos[0]
    return fam, str(addr[0])


def _set_dscp(s: socket.socket, family: int, dscp: int) -> None:
    if dscp:
        level, opt = (
            (socket.IPPROTO_IP, socket.IP_TOS)
            if family == socket.AF_INET
            else (socket.IPPROTO_IPV6, socket.IPV6_TCLASS)
        )
        s.setsockopt(level, opt, dscp << 2)


def _no_route(exc: OSError) -> bool:
    return exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


# =============================================================================================
# IPPing (and ServerSelectionDiagnostics)
# =============================================================================================


class _Pinger:
    """ICMP echo over a datagram ICMP socket, else raw; IPv4 (ICMP) and IPv6 (ICMPv6)."""

    def __init__(self, family: int, dscp: int) -> None:
        self.family = family
        proto = socket.IPPROTO_ICMP if family == socket.AF_INET else socket.IPPROTO_ICMPV6
        self.echo_type, self.reply_type = (8, 0) if family == socket.AF_INET else (128, 129)
        errors = []
        self.sock: socket.socket | None = None
        self.raw = False
        for kind in (socket.SOCK_DGRAM, socket.SOCK_RAW):
            try:
                self.sock = socket.socket(family, kind, proto)
                self.raw = kind == socket.SOCK_RAW
                break
            except OSError as exc:
                errors.append(f"{'datagram' if kind == socket.SOCK_DGRAM else 'raw'}: {exc}")
        if self.sock is None:
            raise _Failed("Error_Other", "no ICMP socket: " + "; ".join(errors) + _group_hint())
        _set_dscp(self.sock, family, dscp)
        self.ident = os.getpid() & 0xFFFF
        self.seq = 0

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()

    def ping(self, address: str, size: int, timeout: float, stop: threading.Event) -> float | None:
        assert self.sock is not None
        self.seq = (self.seq + 1) & 0xFFFF
        payload = (b"printbench-diag-" * (size // 16 + 1))[:size]
        header = struct.pack("!BBHHH", self.echo_type, 0, 0, self.ident, self.seq)
        packet = header + payload
        if self.family == socket.AF_INET:  # ICMPv6 checksums are the kernel's
            packet = struct.pack("!BBHHH", self.echo_type, 0, _checksum(packet), self.ident,
                                 self.seq) + payload  # fmt: skip
        sent = time.perf_counter()
        try:
            self.sock.sendto(packet, (address, 0))
        except OSError as exc:
            if _no_route(exc):
                raise _Failed("Error_NoRouteToHost", f"{address}: {exc}") from None
            return None  # a lost packet (ENOBUFS, EPERM by a firewall): counted as a failure
        deadline = sent + timeout
        while not stop.is_set():
            left = deadline - time.perf_counter()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.sock], [], [], min(left, _TICK))
            if not ready:
                continue
            data, _src = self.sock.recvfrom(65535)
            got = time.perf_counter()
            if self.raw and self.family == socket.AF_INET:
                data = data[(data[0] & 0x0F) * 4 :]  # strip the IP header
            if len(data) < 8:
                continue
            typ, _code, _ck, ident, seq = struct.unpack("!BBHHH", data[:8])
            # A datagram socket's identifier is the kernel's (its port): match on sequence.
            if typ == self.reply_type and seq == self.seq and (not self.raw or ident == self.ident):
                return got - sent
        return None


def _group_hint() -> str:
    try:
        with open("/proc/sys/net/ipv4/ping_group_range") as f:
            rng = f.read().split()
        return (
            f" (/proc/sys/net/ipv4/ping_group_range is {' '.join(rng)}; group {os.getgid()} "
            "must be inside it for unprivileged ICMP, or run with CAP_NET_RAW)"
        )
    except OSError:
        return ""


def icmp_available(family: int = socket.AF_INET) -> bool:
    """Whether this process can send ICMP echo at all (the ``…PingSupported`` parameters)."""
    try:
        _Pinger(family, 0).close()
        return True
    except _Failed:
        return False


def run_ipping(p: dict[str, str], stop: threading.Event) -> D.Outcome:
    family, address = _resolve(p["Host"], p["ProtocolVersion"])
    pinger = _Pinger(family, int(p["DSCP"]))
    try:
        rtts: list[float | None] = []
        for _ in range(int(p["NumberOfRepetitions"])):
            if stop.is_set():
                break
            rtts.append(pinger.ping(address, int(p["DataBlockSize"]), int(p["Timeout"]) / 1000,
                                    stop))  # fmt: skip
    finally:
        pinger.close()
    return D.Outcome("Complete", D.ping_results(address, rtts))


def run_server_selection(p: dict[str, str], stop: threading.Event) -> D.Outcome:
    hosts = [h.strip() for h in p["HostList"].split(",") if h.strip()]
    if not hosts:
        raise _Failed("Error_CannotResolveHostName", "HostList is empty")
    best: tuple[float, str, str, list[float]] | None = None
    for host in hosts:
        try:
            family, address = _resolve(host, p["ProtocolVersion"])
        except _Failed:
            continue  # one bad name does not spoil the selection
        pinger = _Pinger(family, 0)
        try:
            rtts = [
                pinger.ping(address, 24, int(p["Timeout"]) / 1000, stop)
                for _ in range(int(p["NumberOfRepetitions"]))
            ]
        finally:
            pinger.close()
        ok = [r for r in rtts if r is not None]
        if ok and (best is None or sum(ok) / len(ok) < best[0]):
            best = (sum(ok) / len(ok), host, address, ok)
    if best is None:
        raise _Failed("Error_CannotResolveHostName", "no host of HostList resolved and answered")
    avg, host, address, ok = best
    return D.Outcome(
        "Complete",
        {"FastestHost": host, "IPAddressUsed": address,
         "AverageResponseTime": str(round(avg * 1000)),
         "MinimumResponseTime": str(round(min(ok) * 1000)),
         "MaximumResponseTime": str(round(max(ok) * 1000))},
    )  # fmt: skip


# =============================================================================================
# TraceRoute
# =============================================================================================

_IP_RECVERR = getattr(socket, "IP_RECVERR", 11)
_IPV6_RECVERR = getattr(socket, "IPV6_RECVERR", 25)
_EE_ORIGIN_ICMP, _EE_ORIGIN_ICMP6 = 2, 3
_BASE_PORT = 33434


def _probe(
    s: socket.socket, family: int, address: str, ttl: int, size: int, timeout: float,
    stop: threading.Event,
) -> tuple[float, str, int, int] | None:  # fmt: skip
    """One probe with ``ttl``: (rtt, responder, ICMP type, ICMP code), None if no answer."""
    if family == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    else:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, ttl)
    port = _BASE_PORT + ttl
    sent = time.perf_counter()
    try:
        s.sendto(b"\0" * size, (address, port))
    except OSError as exc:
        if _no_route(exc):
            raise _Failed("Error_NoRouteToHost", f"{address}: {exc}") from None
        # an error of the previous probe surfaced here; read it below
    deadline = sent + timeout
    while not stop.is_set():
        left = deadline - time.perf_counter()
        if left <= 0:
            return None
        # The error queue signals POLLERR (reported by select as "exceptional"/readable).
        r, _, x = select.select([s], [], [s], min(left, _TICK))
        if not (r or x):
            continue
        try:
            _data, anc, _flags, _addr = s.recvmsg(512, 512, socket.MSG_ERRQUEUE)
        except BlockingIOError:
            try:  # a plain datagram (something answered on the port): the destination
                s.recvfrom(65535)
                return time.perf_counter() - sent, address, 0, 0
            except OSError:
                continue
        got = time.perf_counter()
        for level, _typ, data in anc:
            if level not in (socket.IPPROTO_IP, socket.IPPROTO_IPV6) or len(data) < 16:
                continue
            _eerrno, origin, icmp_type, icmp_code, _pad, _info, _edata = struct.unpack(
                "=IBBBBII", data[:16]
            )
            if origin not in (_EE_ORIGIN_ICMP, _EE_ORIGIN_ICMP6):
                continue
            offender = data[16:]
            if family == socket.AF_INET and len(offender) >= 8:
                who = socket.inet_ntop(socket.AF_INET, offender[4:8])
            elif len(offender) >= 24:
                who = socket.inet_ntop(socket.AF_INET6, offender[8:24])
            else:
                who = address
            return got - sent, who, icmp_type, icmp_code
    return None


def _hostname(address: str) -> str:
    try:
        return socket.getnameinfo((address, 0), socket.NI_NAMEREQD)[0]
    except OSError:
        return address


def run_traceroute(p: dict[str, str], stop: threading.Event) -> D.Outcome:
    family, address = _resolve(p["Host"], p["ProtocolVersion"])
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:
        s.setblocking(False)
        if family == socket.AF_INET:
            s.setsockopt(socket.IPPROTO_IP, _IP_RECVERR, 1)
        else:
            s.setsockopt(socket.IPPROTO_IPV6, _IPV6_RECVERR, 1)
        _set_dscp(s, family, int(p["DSCP"]))
        hops: list[D.Hop] = []
        reached = False
        timeout = int(p["Timeout"]) / 1000
        for ttl in range(1, int(p["MaxHopCount"]) + 1):
            if stop.is_set():
                break
            rtts: list[float | None] = []
            who, code, final = "", 0, False
            for _ in range(int(p["NumberOfTries"])):
                got = _probe(s, family, address, ttl, int(p["DataBlockSize"]), timeout, stop)
                if got is None:
                    rtts.append(None)
                    continue
                rtt, who, icmp_type, code = got
                rtts.append(rtt)
                # time exceeded (11 / ICMPv6 3) is a hop on the way; anything else that
                # the destination sends (port unreachable) ends the trace
                exceeded = 11 if family == socket.AF_INET else 3  # ICMP / ICMPv6
                final = final or who == address or icmp_type != exceeded
            hops.append(D.Hop(who or "", _hostname(who) if who else "", code, rtts))
            if final:
                reached = True
                break
    finally:
        s.close()
    values, rows = D.traceroute_results(address, hops, reached)
    if not reached:
        return D.Outcome(
            "Error_MaxHopCountExceeded", values, {"RouteHops": rows},
            f"{address} not reached within MaxHopCount {p['MaxHopCount']}",
        )  # fmt: skip
    return D.Outcome("Complete", values, {"RouteHops": rows})


# =============================================================================================
# Download / UploadDiagnostics over HTTP
# =============================================================================================


class _Http:
    """One persistent HTTP/1.1 connection of a transfer test, timing what TR-181 asks."""

    def __init__(self, host: str, port: int, family: int, address: str, dscp: int) -> None:
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        _set_dscp(self.sock, family, dscp)
        self.sock.settimeout(CONNECT_TIMEOUT)
        self.open_request = time.time()  # the SYN goes out in connect()
        try:
            self.sock.connect((address, port))
        except TimeoutError:
            self.sock.close()
            raise _Failed(
                "Error_InitConnectionFailed", f"connect to {address}:{port} timed out"
            ) from None
        except OSError as exc:
            self.sock.close()
            if _no_route(exc):
                raise _Failed("Error_NoRouteToHost", f"{address}: {exc}") from None
            raise _Failed("Error_InitConnectionFailed", f"{address}:{port}: {exc}") from None
        self.open_response = time.time()  # connect() returns when the SYN/ACK was received
        self.sock.settimeout(_TICK)
        self.host = host if port == 80 else f"{host}:{port}"

    def close(self) -> None:
        self.sock.close()

    def recv(self, buf: memoryview, deadline: float, stop: threading.Event) -> int:
        while True:
            if stop.is_set():
                raise _Failed("Error_Other", "stopped")
            if time.time() > deadline:
                raise _Failed("Error_Timeout", "the transfer did not end in time")
            try:
                return self.sock.recv_into(buf)
            except TimeoutError:
                continue
            except OSError as exc:
                raise _Failed("Error_TransferFailed", f"receive failed: {exc}") from None


def _split_head(data: bytes) -> tuple[int, dict[str, str], int] | None:
    """(status, lower-case headers, head length) once ``data`` holds a whole response head."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = data[:end].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise _Failed("Error_TransferFailed", f"not an HTTP response: {lines[0][:80]!r}")
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(parts[1]), headers, end + 4


def _read_head(
    c: _Http, buf: bytearray, deadline: float, stop: threading.Event
) -> tuple[int, dict[str, str], bytes, int, float]:
    """Read a response head: (status, headers, everything read so far, head length,
    first-data time)."""
    view = memoryview(buf)
    data = b""
    first = 0.0
    answer_by = min(deadline, time.time() + CONNECT_TIMEOUT)
    while True:
        try:
            n = c.recv(view, deadline if data else answer_by, stop)
        except _Failed as exc:
            if exc.state == "Error_Timeout" and not data:
                raise _Failed("Error_NoResponse", "no response from the server") from None
            raise
        if n == 0:
            raise _Failed(
                "Error_NoResponse" if not data else "Error_TransferFailed",
                "the server closed the connection before a response",
            )
        if not first:
            first = time.time()
        data += bytes(view[:n])
        head = _split_head(data)
        if head is not None:
            status, headers, length = head
            return status, headers, data, length, first
        if len(data) > 65536:
            raise _Failed("Error_TransferFailed", "response head longer than 64 KiB")


def _target(url: str, version: str) -> tuple[str, int, str, int, str]:
    parts = urlsplit(url)
    if parts.scheme.lower() != "http" or not parts.hostname:
        raise _Failed("Error_Other", f"not an http:// URL: {url!r}")
    host = parts.hostname
    port = parts.port or 80
    family, address = _resolve(host, version, socket.SOCK_STREAM)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return host, port, address, family, path


def _download_one(
    url: str, p: dict[str, str], duration: float, deadline: float, stop: threading.Event
) -> D.Connection:
    host, port, address, family, path = _target(url, p["ProtocolVersion"])
    c = _Http(host, port, family, address, int(p["DSCP"]))
    try:
        buf = bytearray(_CHUNK)
        rom = time.time()
        c.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {c.host}\r\nUser-Agent: printbench-diagnostics\r\n"
            "Accept: */*\r\n\r\n".encode("latin-1")
        )
        status, headers, data, head_len, bom = _read_head(c, buf, deadline, stop)
        if status != 200:
            raise _Failed("Error_TransferFailed", f"HTTP {status} for {url}")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise _Failed("Error_TransferFailed", "chunked responses are not measured")
        length = headers.get("content-length")
        want = int(length) if length and length.isdigit() else None
        got_body = len(data) - head_len
        total = len(data)  # TestBytesReceived counts the HTTP headers too
        samples: list[tuple[float, int]] = []
        eom = bom
        view = memoryview(buf)
        end_at = bom + duration if duration else None
        while want is None or got_body < want:
            if end_at is not None and time.time() >= end_at:
                break
            n = c.recv(view, deadline, stop)
            if n == 0:
                if want is None:
                    break
                raise _Failed("Error_TransferFailed", f"closed after {got_body} of {want} bytes")
            eom = time.time()
            got_body += n
            total += n
            if len(samples) < 100_000:
                samples.append((eom, total))
        return D.Connection(c.open_request, c.open_response, rom, bom, eom, total, samples)
    finally:
        c.close()


def _upload_one(
    url: str, p: dict[str, str], size: int, duration: float, deadline: float,
    stop: threading.Event,
) -> D.Connection:  # fmt: skip
    host, port, address, family, path = _target(url, p["ProtocolVersion"])
    c = _Http(host, port, family, address, int(p["DSCP"]))
    try:
        timed = duration > 0
        head = (
            f"PUT {path} HTTP/1.1\r\nHost: {c.host}\r\nUser-Agent: printbench-diagnostics\r\n"
            "Content-Type: application/octet-stream\r\n"
            + ("Transfer-Encoding: chunked\r\n" if timed else f"Content-Length: {size}\r\n")
            + "\r\n"
        ).encode("latin-1")
        rom = time.time()
        c.sock.sendall(head)
        block = b"\0" * _CHUNK
        sent = len(head)
        samples: list[tuple[float, int]] = []
        bom = time.time()
        end_at = bom + duration if timed else None
        left = size
        c.sock.settimeout(_TICK)
        while (left > 0) if not timed else (time.time() < end_at):  # type: ignore[operator]
            if stop.is_set():
                raise _Failed("Error_Other", "stopped")
            if time.time() > deadline:
                raise _Failed("Error_Timeout", "the upload did not end in time")
            piece = block if timed or left >= _CHUNK else block[:left]
            data = (f"{len(piece):x}\r\n".encode() + piece + b"\r\n") if timed else piece
            try:
                c.sock.sendall(data)
            except TimeoutError:
                raise _Failed("Error_Timeout", "the server stopped reading") from None
            except OSError as exc:
                raise _Failed("Error_NoTransferComplete", f"send failed: {exc}") from None
            sent += len(data)
            if not timed:
                left -= len(piece)
            samples.append((time.time(), sent))
        if timed:
            c.sock.sendall(b"0\r\n\r\n")
            sent += 5
        buf = bytearray(65536)
        status, _headers, _data, _hl, _first = _read_head(c, buf, deadline, stop)
        eom = time.time()
        if not 200 <= status < 300:
            raise _Failed("Error_NoTransferComplete", f"HTTP {status} for the PUT to {url}")
        return D.Connection(c.open_request, c.open_response, rom, bom, eom, sent, samples)
    finally:
        c.close()


def _transfer(kind: str, p: dict[str, str], stop: threading.Event) -> D.Outcome:
    url = p["DownloadURL" if kind == "DownloadDiagnostics" else "UploadURL"]
    if not url:
        raise _Failed("Error_InitConnectionFailed", "no URL given")
    duration = float(p["TimeBasedTestDuration"])
    deadline = time.time() + (duration + 30 if duration else TRANSFER_LIMIT)
    n = max(1, min(int(p["NumberOfConnections"]), D.MAX_CONNECTIONS))
    address = _target(url, p["ProtocolVersion"])[2]
    results: list[D.Connection | BaseException] = [RuntimeError("not run")] * n

    def one(i: int) -> None:
        try:
            if kind == "DownloadDiagnostics":
                results[i] = _download_one(url, p, duration, deadline, stop)
            else:
                results[i] = _upload_one(url, p, int(p["TestFileLength"]), duration, deadline,
                                         stop)  # fmt: skip
        except BaseException as exc:  # reported below, in the test's own thread
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(1, n)]
    for t in threads:
        t.start()
    one(0)
    for t in threads:
        t.join()
    for r in results:
        if isinstance(r, BaseException):
            raise r
    conns = [r for r in results if isinstance(r, D.Connection)]
    values, tables = D.transfer_results(
        kind, address, conns,
        per_connection=p["EnablePerConnectionResults"] in ("true", "1"),
        interval=int(p["TimeBasedTestMeasurementInterval"]),
        offset=int(p["TimeBasedTestMeasurementOffset"]),
        duration=int(duration),
    )  # fmt: skip
    return D.Outcome("Complete", values, tables)


def run_download(p: dict[str, str], stop: threading.Event) -> D.Outcome:
    return _transfer("DownloadDiagnostics", p, stop)


def run_upload(p: dict[str, str], stop: threading.Event) -> D.Outcome:
    return _transfer("UploadDiagnostics", p, stop)


RUNNERS: dict[str, Runner] = {
    "IPPing": run_ipping,
    "TraceRoute": run_traceroute,
    "DownloadDiagnostics": run_download,
    "UploadDiagnostics": run_upload,
    "ServerSelectionDiagnostics": run_server_selection,
}


async def run(kind: str, params: dict[str, str], stop: threading.Event) -> D.Outcome:
    """Run one test in a worker thread; every failure becomes the spec's Error_* state."""

    def work() -> D.Outcome:
        try:
            return RUNNERS[kind](params, stop)
        except _Failed as exc:
            return D.Outcome(exc.state, reason=exc.reason)
        except Exception as exc:  # a bug must end the test, never hang it
            log.exception("%s diagnostic failed", kind)
            return D.Outcome("Error_Internal", reason=f"{type(exc).__name__}: {exc}")

    return await asyncio.to_thread(work)


def supported() -> dict[str, bool]:
    """The ``Device.IP.Diagnostics.…Supported`` values this process can honour."""
    v4 = icmp_available(socket.AF_INET)
    v6 = socket.has_ipv6 and icmp_available(socket.AF_INET6)
    return {
        "IPv4PingSupported": v4, "IPv6PingSupported": v6,
        "IPv4TraceRouteSupported": True, "IPv6TraceRouteSupported": socket.has_ipv6,
        "IPv4DownloadDiagnosticsSupported": True, "IPv6DownloadDiagnosticsSupported": True,
        "IPv4UploadDiagnosticsSupported": True, "IPv6UploadDiagnosticsSupported": True,
        "IPv4UDPEchoDiagnosticsSupported": False, "IPv6UDPEchoDiagnosticsSupported": False,
        "IPLayerCapacitySupported": False,
        "IPv4ServerSelectionDiagnosticsSupported": v4,
        "IPv6ServerSelectionDiagnosticsSupported": v6,
    }  # fmt: skip
