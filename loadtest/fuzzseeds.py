"""Seed inputs of the face fuzzers (:mod:`.fuzz`): one valid request of each kind a face
takes, so mutations of them reach the deep parsing, and the face descriptions that tie them
to a running printer or stub ACS.

Kept in code rather than as files because most depend on the target (its address, a device
id, a nonce); the codec fuzzers' corpus, which does not, is in ``tests/data/fuzz/``.
"""

from __future__ import annotations

import json
from typing import Any

from printbench.ipp.codec import Attribute, Group, GroupTag, Message, Tag, decode, encode
from printbench.loadtest.fuzz import HttpFace, http_body
from printbench.snmp import ber

#: State that changes with every request whatever it asks (request counters, the clock of
#: the last access): not a write a refused input made.
VOLATILE_STATE = ("counters.", "recording.")

_SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)
_SYS_LOCATION = (1, 3, 6, 1, 2, 1, 1, 6, 0)
_PRT_INPUT_MEDIA_NAME = (1, 3, 6, 1, 2, 1, 43, 8, 2, 1, 12, 1, 1)


def _http(method: str, path: str, host: str, body: bytes = b"", ctype: str = "",
          extra: str = "") -> bytes:  # fmt: skip
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}"
    if ctype:
        head += f"Content-Type: {ctype}\r\n"
    if body or method in ("POST", "PUT"):
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def _head(path: str, host: str, ctype: str, method: str = "POST") -> bytes:
    return (f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {ctype}\r\n"
            "Content-Length: {length}\r\n\r\n").encode()  # fmt: skip


# -- IPP -------------------------------------------------------------------------------------


def ipp_request(code: int, uri: str, request_id: int = 1, *, user: str = "fuzz",
                op: list[Attribute] | None = None, job: list[Attribute] | None = None,
                data: bytes = b"") -> bytes:  # fmt: skip
    """An IPP/2.0 request with the operation attributes every request has (RFC 8011 §4.1.4)."""
    g = Group(GroupTag.OPERATION)
    g.add("attributes-charset", Tag.CHARSET, "utf-8")
    g.add("attributes-natural-language", Tag.NATURAL_LANGUAGE, "en")
    g.add("printer-uri", Tag.URI, uri)
    g.add("requesting-user-name", Tag.NAME, user)
    g.attributes.extend(op or [])
    groups = [g]
    if job:
        groups.append(Group(GroupTag.JOB, job))
    return encode(Message((2, 0), code, request_id, groups, data))


def ipp_face(host: str, port: int, snapshot: Any = None) -> HttpFace:
    """The IPP face: bodies of Get-Printer-Attributes, Print-Job, Create-Job, Validate-Job,
    Get-Jobs, Get-Job-Attributes, Cancel-Job, Set-Printer-Attributes mutated."""
    uri = f"ipp://{host}:{port}/ipp/print"
    a = Attribute
    bodies = [
        ipp_request(0x000B, uri, op=[a("requested-attributes", Tag.KEYWORD, ["all"])]),
        ipp_request(
            0x0002,
            uri,
            op=[
                a("job-name", Tag.NAME, ["fuzz"]),
                a("document-format", Tag.MIME_MEDIA_TYPE, ["text/plain"]),
            ],
            job=[a("copies", Tag.INTEGER, [1]), a("media", Tag.KEYWORD, ["iso_a4_210x297mm"])],
            data=b"hello\n",
        ),
        ipp_request(
            0x0005,
            uri,
            op=[a("job-name", Tag.NAME, ["held"])],
            job=[a("job-hold-until", Tag.KEYWORD, ["indefinite"])],
        ),
        ipp_request(
            0x0004,
            uri,
            op=[a("document-format", Tag.MIME_MEDIA_TYPE, ["application/pdf"])],
            job=[
                a("sides", Tag.KEYWORD, ["two-sided-long-edge"]),
                a("print-quality", Tag.ENUM, [4]),
            ],
        ),
        ipp_request(
            0x000A, uri, op=[a("which-jobs", Tag.KEYWORD, ["all"]), a("limit", Tag.INTEGER, [5])]
        ),
        ipp_request(0x0009, uri, op=[a("job-id", Tag.INTEGER, [1])]),
        ipp_request(0x0008, uri, op=[a("job-id", Tag.INTEGER, [1])]),
        ipp_request(0x0013, uri, job=None) + b"",
    ]
    # Set-Printer-Attributes carries its values in a printer group (RFC 3380 §4.1)
    spa = decode(bodies[-1])
    spa.groups.append(Group(GroupTag.PRINTER, [a("printer-info", Tag.TEXT, ["front desk"])]))
    bodies[-1] = encode(spa)
    hostport = f"{host}:{port}"
    head = _head("/ipp/print", hostport, "application/ipp")
    probe = _http("POST", "/ipp/print", hostport, bodies[0], "application/ipp",
                  "Connection: close\r\n")  # fmt: skip
    return HttpFace(
        "ipp", host, port, seeds=[head.replace(b"{length}", str(len(b)).encode()) + b
                                  for b in bodies],
        probe=probe, bodies=[(head, b) for b in bodies], judge=judge_ipp,
        snapshot=snapshot, ignore_state=VOLATILE_STATE,
        refused=ipp_refused,
    )  # fmt: skip


def ipp_refused(status: int | None, label: str) -> bool:
    """No answer, an HTTP error, or an IPP status in the error ranges (RFC 8011 §B.1.4-5)."""
    if status is None or status >= 400:
        return True
    return label.startswith("ipp 0x") and int(label[6:], 16) >= 0x0400


def judge_ipp(status: int, answer: bytes) -> tuple[str | None, str]:
    """An IPP answer: HTTP 200 with an IPP response whose status is not internal-error."""
    if status != 200:
        return None, str(status)
    try:
        msg = decode(http_body(answer))
    except ValueError as exc:
        return f"HTTP 200 with an undecodable IPP response: {exc}", "undecodable"
    if msg.code == 0x0500:
        reason = msg.find("status-message")
        return (f"server-error-internal-error ({reason.values[0] if reason else ''})",
                "ipp 0x0500")  # fmt: skip
    return None, f"ipp 0x{msg.code:04x}"


# -- SNMP ------------------------------------------------------------------------------------


def snmp_seeds(read_community: bytes = b"public") -> list[bytes]:
    """GET, GETNEXT, GETBULK (v2c) and GET (v1) with the read community, and SETs with it
    (refused: the read community does not write) of sysLocation and prtInputMediaName."""
    null = (ber.NULL, None)
    vb = ber.encode_varbind
    return [
        ber.encode_message(1, read_community, ber.GET, 11, 0, 0,
                           vb(_SYS_DESCR, null) + vb(_SYS_LOCATION, null)),
        ber.encode_message(0, read_community, ber.GET, 12, 0, 0, vb(_SYS_DESCR, null)),
        ber.encode_message(1, read_community, ber.GETNEXT, 13, 0, 0,
                           vb((1, 3, 6, 1, 2, 1, 43, 11), null)),
        ber.encode_message(1, read_community, ber.GETBULK, 14, 1, 20,
                           vb((1, 3, 6, 1, 2, 1, 1), null) + vb((1, 3, 6, 1, 2, 1, 43, 8), null)),
        ber.encode_message(1, read_community, ber.SET, 15, 0, 0,
                           vb(_SYS_LOCATION, (ber.OCTET_STRING, b"fuzz room"))),
        ber.encode_message(0, read_community, ber.SET, 16, 0, 0,
                           vb(_PRT_INPUT_MEDIA_NAME, (ber.OCTET_STRING, b"Plain A4"))),
    ]  # fmt: skip


def snmp_probe(read_community: bytes = b"public") -> Any:
    """``probe(request_id)``: a v2c GET of sysDescr.0."""

    def probe(request_id: int) -> bytes:
        return ber.encode_message(1, read_community, ber.GET, request_id, 0, 0,
                                  ber.encode_varbind(_SYS_DESCR, (ber.NULL, None)))  # fmt: skip

    return probe


# -- EWS -------------------------------------------------------------------------------------


def ews_face(host: str, port: int, snapshot: Any = None) -> HttpFace:
    """The EWS: its pages, JSON API reads, and writes without a session (all refused)."""
    h = f"{host}:{port}"
    js = "application/json"
    form = "application/x-www-form-urlencoded"
    seeds = [
        _http("GET", "/", h), _http("GET", "/status", h), _http("GET", "/info", h),
        _http("GET", "/config", h), _http("GET", "/config/network", h),
        _http("GET", "/login?next=/config", h), _http("GET", "/api/status", h),
        _http("GET", "/api/config/printer-info", h), _http("GET", "/api/state", h),
        _http("GET", "/static/ews.css", h),
        _http("POST", "/api/login", h, json.dumps({"username": "admin", "password": "no"})
              .encode(), js),
        _http("POST", "/api/config/printer-info", h,
              json.dumps({"printer-info": "fuzz"}).encode(), js, "X-CSRF-Token: abc\r\n"),
        _http("POST", "/config/network", h, b"hostname=fuzz&csrf=abc", form,
              "Cookie: ews_session=deadbeef\r\n"),
        _http("POST", "/login", h, b"username=admin&password=x&next=%2Fconfig", form),
        _http("POST", "/api/firmware", h, b"\x00" * 64, "application/octet-stream"),
    ]  # fmt: skip
    return HttpFace("ews", host, port, seeds, probe=_http("GET", "/api/status", h),
                    snapshot=snapshot, ignore_state=VOLATILE_STATE)  # fmt: skip


# -- control APIs ----------------------------------------------------------------------------


def printer_control_face(host: str, port: int, snapshot: Any = None) -> HttpFace:
    """The printer's control API, its value reads and writes (no authentication by design:
    a bench's own API); a write it refuses (4xx) must leave the state alone."""
    h = f"{host}:{port}"
    js = "application/json"
    seeds = [
        _http("GET", "/api/state", h), _http("GET", "/api/value/description.location", h),
        _http("PUT", "/api/value/description.location", h, b'{"value": "room 2"}', js),
        _http("PUT", f"/api/devices/{host}/value/identity.asset_number", h, b'{"value": 7}', js),
        _http("PUT", "/api/value/status.powered", h, b'{"value": true}', js),
        _http("GET", "/api/jobs", h), _http("DELETE", "/api/jobs/99", h),
        _http("GET", "/api/events?since=0", h),
    ]  # fmt: skip
    return HttpFace("printer-control", host, port, seeds, probe=_http("GET", "/api/state", h),
                    snapshot=snapshot, ignore_state=VOLATILE_STATE)  # fmt: skip


def printer_actions_face(host: str, port: int) -> HttpFace:
    """The control API's actions (jobs, faults, supplies): accepted ones start engine work
    that changes the state later, so only the answers and the log are checked."""
    h = f"{host}:{port}"
    js = "application/json"
    seeds = [
        _http("POST", "/api/jobs", h, b'{"pages": 2, "user": "fuzz", "name": "j"}', js),
        _http("POST", "/api/faults/paper-jam/inject", h, b"{}", js),
        _http("POST", "/api/faults/paper-jam/clear", h, b"{}", js),
        _http("POST", "/api/refill", h, b'{"supply": 1}', js),
        _http("POST", "/api/load-paper", h, b'{"tray": 1}', js),
        _http("POST", "/api/pause", h, b"", js), _http("POST", "/api/resume", h, b"", js),
    ]  # fmt: skip
    return HttpFace("printer-actions", host, port, seeds, probe=_http("GET", "/api/state", h))


def acs_control_face(host: str, port: int, device_id: str) -> HttpFace:
    """The stub ACS's control API (no waits longer than half a second in the seeds)."""
    h = f"{host}:{port}"
    js = "application/json"
    rpc = {"method": "GetParameterValues", "args": {"parameter_names": ["Device.DeviceInfo."]},
           "wait": False}  # fmt: skip
    seeds = [
        _http("GET", "/api", h), _http("GET", "/api/devices", h),
        _http("GET", f"/api/devices/{device_id}", h),
        _http("POST", f"/api/devices/{device_id}/rpc", h, json.dumps(rpc).encode(), js),
        _http("POST", f"/api/devices/{device_id}/hold", h, b'{"hold": false}', js),
        _http("POST", f"/api/devices/{device_id}/retry-faults", h, b'{"count": 0}', js),
        _http("POST", "/api/wait-inform", h, b'{"device": "none", "timeout": 0.2}', js),
        _http("GET", "/api/journal?since=0", h), _http("GET", "/api/verdicts", h),
        _http("GET", "/api/files", h), _http("PUT", "/api/files/fuzz.bin", h, b"abc",
                                             "application/octet-stream"),
        _http("GET", "/api/sessions", h), _http("GET", "/api/rules", h),
    ]  # fmt: skip
    face = HttpFace("acs-control", host, port, seeds, probe=_http("GET", "/api", h))
    face.allowed_5xx = (504, 505)  # docs/acs.md: a wait (wait-inform, rpc) that timed out
    return face


# -- CWMP at the stub ACS ----------------------------------------------------------------------


def acs_cwmp_face(host: str, port: int, inform: bytes) -> HttpFace:
    """The stub ACS's CWMP face: Inform envelopes mutated (head kept), and whole requests."""
    h = f"{host}:{port}"
    xml = "text/xml; charset=utf-8"
    head = _head("/", h, xml)
    empty_head = f"POST / HTTP/1.1\r\nHost: {h}\r\nContent-Length: {{length}}\r\n\r\n".encode()
    gzip_head = head.replace(b"\r\n\r\n", b"\r\nContent-Encoding: gzip\r\n\r\n")
    import gzip

    bodies = [(head, inform), (empty_head, b""), (gzip_head, gzip.compress(inform))]
    seeds = [hd.replace(b"{length}", str(len(b)).encode()) + b for hd, b in bodies]

    def probe(i: int) -> bytes:  # a device of its own: the fuzzed ones may be in session
        return _http("POST", "/", h, inform.replace(b"CURL0001", b"PROBE%05d" % i), xml)

    return HttpFace("acs-cwmp", host, port, seeds, probe=probe, bodies=bodies)


# -- connection requests -------------------------------------------------------------------------


def connreq_face(host: str, port: int, path: str) -> HttpFace:
    """The connection-request server: GETs with and without (wrong) digest credentials."""
    h = f"{host}:{port}"
    auth = ('Authorization: Digest username="acs", realm="printbench", nonce="AAAA", '
            f'uri="{path}", response="00000000000000000000000000000000", qop=auth, '
            'nc=00000001, cnonce="abc"\r\n')  # fmt: skip
    seeds = [
        _http("GET", path, h), _http("GET", path, h, extra=auth),
        _http("GET", path, h, extra="Authorization: Basic YWNzOmFjcw==\r\n"),
        _http("POST", path, h, b"x", "text/plain"), _http("GET", "/other", h),
    ]  # fmt: skip
    face = HttpFace(
        "connection-request", host, port, seeds, probe=_http("GET", path, h), probe_ok=(401,)
    )
    face.allowed_5xx = (503, 505)  # TR-069 §3.2.2: a CR while a session is pending may be refused
    return face


def json_ok(answer: bytes) -> dict[str, Any] | None:
    """The JSON object of an answer, or None."""
    try:
        data = json.loads(http_body(answer))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


# -- CWMP RPCs an ACS sends (the CPE fuzzer's seeds) --------------------------------------------


def cwmp_rpc_seeds() -> list[bytes]:
    """GetParameterValues/Names/Attributes, SetParameterValues (a printer's location and the
    ProvisioningCode), SetParameterAttributes, AddObject, DeleteObject, GetRPCMethods."""
    from printbench.cwmp import messages as m
    from printbench.cwmp import soap

    pvs = m.ParameterValueStruct
    messages: list[m.Message] = [
        m.GetParameterValues(parameter_names=("Device.DeviceInfo.", "Device.ManagementServer.")),
        m.GetParameterNames(parameter_path="Device.", next_level=True),
        m.GetParameterAttributes(parameter_names=("Device.DeviceInfo.SoftwareVersion",)),
        m.SetParameterValues(
            parameter_list=(pvs("Device.DeviceInfo.ProvisioningCode", "fuzz"),
                            pvs("Device.ManagementServer.PeriodicInformInterval", "3600",
                                "xsd:unsignedInt")),
            parameter_key="k1",
        ),
        m.SetParameterAttributes(parameter_list=(m.SetParameterAttributesStruct(
            name="Device.DeviceInfo.SoftwareVersion", notification_change=True,
            notification=2),)),
        m.AddObject(object_name="Device.IP.Interface.", parameter_key="k2"),
        m.DeleteObject(object_name="Device.IP.Interface.99.", parameter_key="k3"),
        m.GetRPCMethods(),
    ]  # fmt: skip
    return [soap.encode(m.Envelope(body=msg, id=f"fz{i}")) for i, msg in enumerate(messages)]
