"""At least 1,000 malformed envelopes: each gives one CwmpDecodeError, nothing else, no hang.

The corpus is generated deterministically (seeded) and every input is bounded in size, and
the decoder refuses DOCTYPE before parsing and caps size and depth, so the loop's runtime
is bounded by construction; no timing assertions.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

import pytest

from printbench.cwmp import messages as m
from printbench.cwmp import soap
from printbench.cwmp.errors import CwmpDecodeError

SEED = 20240501


def _valid_documents() -> list[bytes]:
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    inform = m.Inform(
        m.DeviceIdStruct("ACME", "00D0B7", "Printer", "SN1"),
        (m.EventStruct("2 PERIODIC"),),
        1,
        when,
        0,
        tuple(m.ParameterValueStruct(f"Device.P{i}", str(i), "xsd:unsignedInt") for i in range(3)),
    )
    messages = [
        m.Envelope(inform, id="1", session_timeout=30),
        m.Envelope(m.GetParameterNames("Device.", True), id="2", hold_requests=True),
        m.Envelope(m.TransferComplete("k", m.FaultStruct(0, ""), when, when), id="3"),
        m.Envelope(m.AddObjectResponse(3, 0), id="4"),
        m.Envelope(m.Fault.of(9003), id="5"),
        m.Envelope(
            m.ChangeDUState((m.InstallOpStruct("http://x.example/a", None, "u"),), "ck"), id="6"
        ),
    ]
    return [soap.encode(e) for e in messages]


def _truncations(docs: list[bytes]) -> list[tuple[str, bytes]]:
    out = []
    for n, doc in enumerate(docs):
        stripped = doc.rstrip()
        step = max(1, len(stripped) // 150)
        for cut in range(0, len(stripped) - 1, step):
            out.append((f"truncated doc{n} at {cut}", stripped[:cut]))
    return out


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b']><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
    b"<SOAP-ENV:Body>&lol9;</SOAP-ENV:Body></SOAP-ENV:Envelope>"
)


def _entity_attacks() -> list[tuple[str, bytes]]:
    env_open = b'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2">'
    body = b"<SOAP-ENV:Body><cwmp:Reboot><CommandKey>&x;</CommandKey></cwmp:Reboot></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    cases = [("billion laughs", BOMB)]
    for url in (
        b"file:///etc/passwd",
        b"file:///dev/random",
        b"http://127.0.0.1:1/evil",
        b"https://attacker.example/x.dtd",
        b"ftp://attacker.example/x",
        b"/etc/hostname",
        b"php://filter/resource=index",
    ):
        cases.append(
            (
                f"XXE SYSTEM {url!r}",
                b'<!DOCTYPE r [<!ENTITY x SYSTEM "' + url + b'">]>' + env_open + body,
            )
        )
        cases.append(
            (
                f"XXE parameter entity {url!r}",
                b'<!DOCTYPE r [<!ENTITY % p SYSTEM "' + url + b'"> %p;]>' + env_open + body,
            )
        )
        cases.append(
            (f"external DTD {url!r}", b'<!DOCTYPE r SYSTEM "' + url + b'">' + env_open + body)
        )
        cases.append(
            (
                f"XXE PUBLIC {url!r}",
                b'<!DOCTYPE r [<!ENTITY x PUBLIC "-//X//EN" "' + url + b'">]>' + env_open + body,
            )
        )
    quadratic = (
        b'<!DOCTYPE r [<!ENTITY a "'
        + b"A" * 50_000
        + b'">]>'
        + env_open
        + body.replace(b"&x;", b"&a;" * 1000)
    )
    cases.append(("quadratic blowup", quadratic))
    cases.append(("lower-case doctype", b"<!doctype r>" + env_open + body))
    cases.append(("doctype with spaces", b"<!  DOCTYPE r>" + env_open + body))
    cases.append(("undefined entity", env_open + body))
    cases.append(
        (
            "entity in header",
            env_open.replace(b">", b">", 1) + b"<SOAP-ENV:Header>&foo;</SOAP-ENV:Header>" + body,
        )
    )
    return cases


def _depth_attacks() -> list[tuple[str, bytes]]:
    out = []
    for depth in (33, 40, 100, 255, 300, 1000, 5000, 20000):
        inner = b"<a>" * depth + b"</a>" * depth
        out.append(
            (
                f"nesting {depth}",
                b'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2"><SOAP-ENV:Body><cwmp:Reboot><CommandKey>'
                + inner
                + b"</CommandKey></cwmp:Reboot></SOAP-ENV:Body></SOAP-ENV:Envelope>",
            )
        )
    return out


def _huge() -> list[tuple[str, bytes]]:
    doc = _valid_documents()[0]
    pad = b"<!-- " + b"x" * (soap.DEFAULT_MAX_SIZE) + b" -->"
    return [
        ("over 1 MiB with comment", doc.replace(b"<SOAP-ENV:Body>", b"<SOAP-ENV:Body>" + pad)),
        (
            "over 1 MiB of values",
            doc.replace(b">0<", b">" + b"9" * (soap.DEFAULT_MAX_SIZE + 1) + b"<", 1),
        ),
        ("over 1 MiB of whitespace", b" " * (soap.DEFAULT_MAX_SIZE + 1) + doc),
    ]


def _garbage(rng: random.Random) -> list[tuple[str, bytes]]:
    out = []
    for i in range(120):
        out.append(
            (f"random bytes {i}", bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400))))
        )
    for i in range(40):
        out.append(
            (
                f"random ascii {i}",
                "".join(
                    rng.choice("<>/=\"' abcSOAP:&;#!?-[]") for _ in range(rng.randrange(1, 200))
                ).encode(),
            )
        )
    doc = _valid_documents()[1]
    out.append(("utf-16 envelope", doc.decode().replace("UTF-8", "UTF-16").encode("utf-16")))
    out.append(("utf-32 envelope", doc.decode().encode("utf-32")))
    out.append(("gzip magic", b"\x1f\x8b\x08\x00" + doc))
    out.append(("latin-1 bytes in utf-8 doc", doc.replace(b">Device.<", b">Devi\xe7e.<")))
    for text in (
        b"",
        b"   \r\n",
        b"<",
        b">",
        b"<a",
        b"<?xml version='1.0'?>",
        b"hello",
        b"{}",
        b"null",
    ):
        out.append((f"trivial {text!r}", text))
    return out


def _mutations(docs: list[bytes], rng: random.Random) -> list[tuple[str, bytes]]:
    inform, gpn, tc, add, fault, cdu = docs
    cwmp12 = b"urn:dslforum-org:cwmp-1-2"
    cases: list[tuple[str, bytes]] = []
    for ns in (
        b"urn:dslforum-org:cwmp-2-0",
        b"urn:example:foo",
        b"",
        b"urn:dslforum-org:CWMP-1-2",
        b"http://schemas.xmlsoap.org/soap/envelope/",
    ):
        for n, doc in enumerate(docs[:4]):
            cases.append(
                (
                    f"wrong cwmp namespace {ns!r} doc{n}",
                    doc.replace(b'xmlns:cwmp="' + cwmp12 + b'"', b'xmlns:cwmp="' + ns + b'"'),
                )
            )
    soap_env = b"http://schemas.xmlsoap.org/soap/envelope/"
    for ns in (
        b"http://www.w3.org/2003/05/soap-envelope",
        b"urn:not-soap",
        b"http://schemas.xmlsoap.org/soap/envelope",
    ):
        for n, doc in enumerate(docs):
            cases.append((f"wrong soap namespace {ns!r} doc{n}", doc.replace(soap_env, ns, 1)))
    for n, doc in enumerate(docs):
        cases.append(
            (
                f"ID without mustUnderstand doc{n}",
                doc.replace(b'<cwmp:ID SOAP-ENV:mustUnderstand="1">', b"<cwmp:ID>"),
            )
        )
        cases.append(
            (
                f"ID mustUnderstand=0 doc{n}",
                doc.replace(
                    b'<cwmp:ID SOAP-ENV:mustUnderstand="1">',
                    b'<cwmp:ID SOAP-ENV:mustUnderstand="0">',
                ),
            )
        )
        cases.append(
            (
                f"ID mustUnderstand unqualified doc{n}",
                doc.replace(
                    b'<cwmp:ID SOAP-ENV:mustUnderstand="1">', b'<cwmp:ID mustUnderstand="1">'
                ),
            )
        )
        cases.append(
            (
                f"unknown mandatory header doc{n}",
                doc.replace(
                    b"<SOAP-ENV:Header>",
                    b'<SOAP-ENV:Header><x:Sec xmlns:x="urn:x" SOAP-ENV:mustUnderstand="1">s</x:Sec>',
                ),
            )
        )
        cases.append(
            (
                f"unknown cwmp mandatory header doc{n}",
                doc.replace(
                    b"<SOAP-ENV:Header>",
                    b'<SOAP-ENV:Header><cwmp:Frob SOAP-ENV:mustUnderstand="1">s</cwmp:Frob>',
                ),
            )
        )
        cases.append(
            (
                f"two bodies doc{n}",
                doc.replace(b"</SOAP-ENV:Body>", b"</SOAP-ENV:Body><SOAP-ENV:Body/>"),
            )
        )
        cases.append(
            (f"no body doc{n}", re.sub(rb"<SOAP-ENV:Body>.*</SOAP-ENV:Body>", b"", doc, flags=re.S))
        )
        cases.append(
            (
                f"header after body doc{n}",
                re.sub(
                    rb"(<SOAP-ENV:Header>.*?</SOAP-ENV:Header>)(.*</SOAP-ENV:Body>)",
                    rb"\2\1",
                    doc,
                    flags=re.S,
                ),
            )
        )
        cases.append(
            (
                f"two messages doc{n}",
                doc.replace(b"</SOAP-ENV:Body>", b"<cwmp:GetRPCMethods/></SOAP-ENV:Body>"),
            )
        )
        cases.append(
            (f"root not Envelope doc{n}", doc.replace(b"SOAP-ENV:Envelope", b"SOAP-ENV:Envelop"))
        )
        cases.append(
            (
                f"stray element in Envelope doc{n}",
                doc.replace(b"<SOAP-ENV:Body>", b"<SOAP-ENV:Extra/><SOAP-ENV:Body>"),
            )
        )
        cases.append(
            (f"mismatched end tag doc{n}", doc.replace(b"</SOAP-ENV:Body>", b"</SOAP-ENV:Bodx>"))
        )
        cases.append(
            (f"unbound prefix doc{n}", doc.replace(b"<SOAP-ENV:Body>", b"<SOAP-ENV:Body><zz:X/>"))
        )
    # Unknown methods (answered 9000/8000).
    for name in (
        "Frobnicate",
        "X_ACME_Reset",
        "Inform2",
        "informresponse",
        "Fault",
        "GetParameterValue",
    ):
        cases.append((f"unknown method {name}", gpn.replace(b"GetParameterNames", name.encode())))
    # Wrong types in typed fields.
    for bad in (b"yes", b"2", b"", b"truee", b"-1", b"<x/>"):
        cases.append(
            (
                f"NextLevel={bad!r}",
                gpn.replace(b"<NextLevel>true</NextLevel>", b"<NextLevel>" + bad + b"</NextLevel>"),
            )
        )
        cases.append(
            (
                f"HoldRequests={bad!r}",
                gpn.replace(b">true</cwmp:HoldRequests>", b">" + bad + b"</cwmp:HoldRequests>"),
            )
        )
    for bad in (
        b"one",
        b"-1",
        b"4294967296",
        b"1.5",
        b"0x10",
        b"",
        b"99999999999999999999999",
        b"1e3",
    ):
        cases.append(
            (
                f"MaxEnvelopes={bad!r}",
                inform.replace(
                    b"<MaxEnvelopes>1</MaxEnvelopes>", b"<MaxEnvelopes>" + bad + b"</MaxEnvelopes>"
                ),
            )
        )
        cases.append(
            (
                f"RetryCount={bad!r}",
                inform.replace(
                    b"<RetryCount>0</RetryCount>", b"<RetryCount>" + bad + b"</RetryCount>"
                ),
            )
        )
        cases.append(
            (
                f"InstanceNumber={bad!r}",
                add.replace(
                    b"<InstanceNumber>3</InstanceNumber>",
                    b"<InstanceNumber>" + bad + b"</InstanceNumber>",
                ),
            )
        )
        cases.append(
            (
                f"FaultCode={bad!r}",
                fault.replace(
                    b"<FaultCode>9003</FaultCode>", b"<FaultCode>" + bad + b"</FaultCode>"
                ),
            )
        )
        cases.append(
            (
                f"SessionTimeout={bad!r}",
                inform.replace(
                    b">30</cwmp:SessionTimeout>", b">" + bad + b"</cwmp:SessionTimeout>"
                ),
            )
        )
    cases.append(
        (
            "InstanceNumber=0",
            add.replace(
                b"<InstanceNumber>3</InstanceNumber>", b"<InstanceNumber>0</InstanceNumber>"
            ),
        )
    )
    cases.append(("Status=2", add.replace(b"<Status>0</Status>", b"<Status>2</Status>")))
    for bad in (
        b"yesterday",
        b"2024-13-01T00:00:00Z",
        b"2024-02-30T00:00:00Z",
        b"2024-01-01",
        b"2024-01-01T25:00:00Z",
        b"2024-01-01T00:00:00+25:00",
        b"",
        b"0000-00-00T00:00:00",
    ):
        cases.append(
            (
                f"CurrentTime={bad!r}",
                inform.replace(
                    b"<CurrentTime>2024-05-01T12:00:00Z</CurrentTime>",
                    b"<CurrentTime>" + bad + b"</CurrentTime>",
                ),
            )
        )
        cases.append(
            (
                f"StartTime={bad!r}",
                tc.replace(
                    b"<StartTime>2024-05-01T12:00:00Z</StartTime>",
                    b"<StartTime>" + bad + b"</StartTime>",
                ),
            )
        )
    # Missing required elements.
    for name in (
        b"DeviceId",
        b"Event",
        b"MaxEnvelopes",
        b"CurrentTime",
        b"RetryCount",
        b"ParameterList",
        b"OUI",
        b"Manufacturer",
        b"EventCode",
        b"Name",
        b"Value",
    ):
        cases.append(
            (
                f"Inform without {name!r}",
                re.sub(
                    rb"<" + name + rb"( [^>]*)?>.*?</" + name + rb">",
                    b"",
                    inform,
                    count=1,
                    flags=re.S,
                ),
            )
        )
    for name in (b"CommandKey", b"FaultStruct", b"StartTime", b"CompleteTime", b"FaultCode"):
        cases.append(
            (
                f"TransferComplete without {name!r}",
                re.sub(rb"<" + name + rb">.*?</" + name + rb">", b"", tc, count=1, flags=re.S),
            )
        )
    cases.append(("fault without detail", re.sub(rb"<detail>.*</detail>", b"", fault, flags=re.S)))
    cases.append(
        (
            "fault detail without cwmp:Fault",
            re.sub(rb"<detail>.*</detail>", b"<detail><x/></detail>", fault, flags=re.S),
        )
    )
    cases.append(
        ("operation without xsi:type", cdu.replace(b' xsi:type="cwmp:InstallOpStruct"', b""))
    )
    cases.append(
        (
            "operation with unknown xsi:type",
            cdu.replace(b"cwmp:InstallOpStruct", b"cwmp:ExplodeOpStruct"),
        )
    )
    cases.append(
        (
            "element inside a string",
            tc.replace(b"<CommandKey>k</CommandKey>", b"<CommandKey><b>k</b></CommandKey>"),
        )
    )
    cases.append(("element inside a value", inform.replace(b">0</Value>", b"><i>0</i></Value>")))
    cases.append(
        ("element inside a name", inform.replace(b"<Name>Device.P0</Name>", b"<Name><x/></Name>"))
    )
    cases.append(
        ("element inside ID", inform.replace(b'mustUnderstand="1">1<', b'mustUnderstand="1"><x/><'))
    )
    cases.append(
        (
            "element inside array item",
            gpn.replace(
                b"<ParameterPath>Device.</ParameterPath>", b"<ParameterPath>Device.</ParameterPath>"
            ),
        )
    )  # replaced below
    cases.pop()
    # Random single-byte corruptions of structural characters.
    for _ in range(120):
        doc = rng.choice(docs)
        positions = [k for k, c in enumerate(doc) if c in b'<>/"=']
        k = rng.choice(positions)
        replacement = rng.choice([b"&", b"\x00", b"<<", b"&#0;", b"]]>"])
        mutated = doc[:k] + replacement + doc[k + 1 :]
        cases.append((f"corrupt byte {k} of doc ({replacement!r})", mutated))
    return cases


def corpus() -> list[tuple[str, bytes]]:
    rng = random.Random(SEED)
    docs = _valid_documents()
    cases = (
        _truncations(docs)
        + _entity_attacks()
        + _depth_attacks()
        + _huge()
        + _garbage(rng)
        + _mutations(docs, rng)
    )
    return cases


def test_corpus_is_large_enough():
    assert len(corpus()) >= 1000


def test_valid_documents_decode():
    for doc in _valid_documents():
        soap.decode(doc)


def test_every_malformed_envelope_gives_one_clear_error():
    accepted, other = [], []
    for label, data in corpus():
        try:
            soap.decode(data)
        except CwmpDecodeError as err:
            assert err.message, label
            assert not err.message.startswith("internal decoder error"), (label, err.message)
            assert 9000 <= err.cpe_fault_code <= 9019, (label, err.cpe_fault_code)
            assert 8000 <= err.acs_fault_code <= 8005, (label, err.acs_fault_code)
        except Exception as exc:  # the contract: nothing but CwmpDecodeError
            other.append((label, repr(exc)))
        else:
            accepted.append(label)
    assert other == []
    assert accepted == []


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("billion laughs", (9003, 8003)),
        ("over 1 MiB of values", (9004, 8004)),
        ("nesting 40", (9004, 8004)),
        ("unknown method X_ACME_Reset", (9000, 8000)),
        ("ID without mustUnderstand doc0", (9003, 8003)),
    ],
)
def test_fault_codes_name_the_problem(label, kind):
    data = dict(corpus())[label]
    with pytest.raises(CwmpDecodeError) as info:
        soap.decode(data)
    assert (info.value.cpe_fault_code, info.value.acs_fault_code) == kind


def test_error_messages_are_precise():
    doc = _valid_documents()[0].replace(
        b"<RetryCount>0</RetryCount>", b"<RetryCount>many</RetryCount>"
    )
    with pytest.raises(CwmpDecodeError) as info:
        soap.decode(doc)
    err = info.value
    assert err.element == "RetryCount" and err.line == 2
    assert "expected an integer" in str(err) and "'many'" in str(err)
    assert err.cwmp_id == "1" and err.method == "Inform"


def test_xxe_never_reads_the_file():
    data = b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]><r>&x;</r>'
    with pytest.raises(CwmpDecodeError, match="DOCTYPE"):
        soap.decode(data)


def test_size_and_depth_limits_are_configurable():
    doc = _valid_documents()[0]
    with pytest.raises(CwmpDecodeError, match="over the limit"):
        soap.decode(doc, max_size=100)
    with pytest.raises(CwmpDecodeError, match="deeper than 3"):
        soap.decode(doc, max_depth=3)
    # 32 KB must be accepted (TR-069): a 32 KB+ GetParameterValuesResponse decodes.
    big = m.Envelope(
        m.GetParameterValuesResponse(
            tuple(m.ParameterValueStruct(f"Device.X.{i}.Name", "v" * 40) for i in range(400))
        )
    )
    data = soap.encode(big)
    assert len(data) > 32 * 1024
    assert soap.decode(data) == big
