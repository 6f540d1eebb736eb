"""At least 1,000 malformed posts against a real EWS: every one gets a 4xx with a clear
message, none a 500, and the printer's state never changes (a rejected form is all or
nothing even when it also carries valid changes)."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from typing import Any

import aiohttp

from printbench.emulator.ews import pages
from printbench.emulator.ews.fields import Field

CASES = 1200

BAD_FORM: dict[str, list[str]] = {
    "bool": ["maybe", "off", "2", "on\x00", "ON "],
    "int": ["abc", "1.5", "", "9" * 19, "0x10", "１２", "--1", "1 2"],
    "intchoice": ["7", "abc", "-600", ""],
    "choice": ["not-a-choice-ü", "x" * 300, "\x00"],
    "timezone": ["Mars/Olympus", "UTC+25", "../../etc/passwd"],
    "multichoice": ["bogus", "jam\x00"],
    "ipv4": ["999.1.1.1", "1.2.3", "abc", "224.0.0.5", "::1", "1.2.3.4.5"],
    "netmask": ["255.0.255.0", "abc", "0.0.0.0", "255.255.255.256"],
    "ipv4_list": ["192.0.2.1\n999.0.0.1", "a,b", "192.0.2.1,192.0.2.1"],
    "host": ["bad host", "-x.example", "a..b", "1.2.3.999", "x" * 300],
    "hostname": ["bad host", "-x", "a_b", "x" * 64],
    "domain": ["bad domain", "a..b", "-x.example"],
    "hostport_list": ["host", "host:0", "host:99999", "192.0.2.1:", ":80", "a b:1"],
    "email": ["no-at", "a@b", "@x.com", "a@@b.com"],
    "email_list": ["ok@example.com\nbad", "x@", "a@b.c" * 100],
    "url": ["ftp://x", "javascript:alert(1)", "http//x", "http://"],
    "datetime": ["soon", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00"],
    "phone": ["call me", "12", "+" * 40],
}
BAD_TEXT = ["a\x00b", "a\nb", "tab\there"]


def bad_form_value(f: Field, rnd: random.Random) -> str:
    if f.kind in ("text", "secret"):
        options = [*BAD_TEXT, "x" * (f.max_len + 1)]
        if f.min_len > 1:
            options.append("s" * (f.min_len - 1))
        if not f.allow_empty and f.kind == "text":
            options.append("   ")
        return rnd.choice(options)
    options = list(BAD_FORM[f.kind])
    if f.kind == "int":
        if f.max is not None:
            options.append(str(f.max + rnd.randint(1, 10**6)))
        if f.min is not None:
            options.append(str(f.min - rnd.randint(1, 10**6)))
    return rnd.choice(options)


def valid_form(state: Any, page: pages.ConfigPage, rnd: random.Random) -> dict[str, list[str]]:
    """The page's values as a browser posts them, with some fields changed to other valid
    values (so a rejected post also proves that its valid part was not applied)."""
    form: dict[str, list[str]] = {}
    for f in page.fields:
        value = state.get(f.path)
        if f.kind == "bool":
            if rnd.random() < 0.5:
                value = not value
            if value:
                form[f.path] = ["on"]
        elif f.kind == "secret":
            form[f.path] = [""]
        elif f.kind == "multichoice":
            form[f.path] = [c for c in f.choices if rnd.random() < 0.5]
        elif f.is_list:
            form[f.path] = ["\n".join(value)]
        elif f.kind == "int" and f.min is not None and f.max is not None:
            form[f.path] = [str(rnd.randint(f.min, min(f.max, f.min + 1000)))]
        elif f.kind in ("choice", "intchoice") and f.choices:
            form[f.path] = [str(rnd.choice(f.choices))]
        else:
            form[f.path] = [str(value)]
    return form


def encode(form: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, values in form.items() for v in values]


BAD_JSON_VALUES: dict[type, list[Any]] = {
    bool: [1, 0, "true", None, [], {}],
    int: ["5", 5.5, True, None, 10**30, -(10**30), [1], {}],
    tuple: ["a", [1], [None], {"a": 1}, None, 7, ["x"] * 50],
    str: [5, None, [], {}, True, 1.5],
}


class Case:
    def __init__(self, kind: str, method: str, path: str, **kw: Any) -> None:
        self.kind, self.method, self.path, self.kw = kind, method, path, kw


def make_cases(state: Any, csrf: str, rnd: random.Random) -> list[Case]:
    from printbench.emulator.ews.fields import KINDS

    all_pages = list(pages.config_pages(state).values())
    cases: list[Case] = []
    for n in range(CASES):
        page = rnd.choice(all_pages)
        url = f"/config/{page.slug}"
        form = valid_form(state, page, rnd)
        kind = [
            "bad-field", "bad-field", "bad-field", "unknown-field", "duplicate", "no-csrf",
            "wrong-csrf", "no-session", "bad-encoding", "multipart-garbage", "multipart-file",
            "content-type", "oversized", "json-bad-type", "json-bad-type", "json-garbage",
            "json-unknown", "json-no-auth", "json-cookie-no-csrf", "login-garbage",
        ][n % 20]  # fmt: skip
        if kind == "bad-field":
            for f in rnd.sample(page.fields, k=min(len(page.fields), rnd.randint(1, 3))):
                form[f.path] = [bad_form_value(f, rnd)]
            cases.append(Case(kind, "POST", url, data=[*encode(form), ("_csrf", csrf)]))
        elif kind == "unknown-field":
            junk = "".join(rnd.choice("abcxyz._-ü\u202e0") for _ in range(rnd.randint(1, 40)))
            form[f"zz{junk}"] = [str(rnd.random())]
            cases.append(Case(kind, "POST", url, data=[*encode(form), ("_csrf", csrf)]))
        elif kind == "duplicate":
            f = rnd.choice([f for f in page.fields if f.kind != "multichoice"])
            form[f.path] = [*form.get(f.path, ["on"]), *form.get(f.path, ["on"])]
            if len(form[f.path]) < 2:
                form[f.path] = ["on", "on"]
            cases.append(Case(kind, "POST", url, data=[*encode(form), ("_csrf", csrf)]))
        elif kind == "no-csrf":
            cases.append(Case(kind, "POST", url, data=encode(form)))
        elif kind == "wrong-csrf":
            token = rnd.choice(["", csrf[:-1], csrf + "x", "A" * 43, csrf.upper(), "ü" * 10])
            cases.append(Case(kind, "POST", url, data=[*encode(form), ("_csrf", token)]))
        elif kind == "no-session":
            cases.append(Case(kind, "POST", url, data=[*encode(form), ("_csrf", csrf)], anon=True))
        elif kind == "bad-encoding":
            body = rnd.choice(
                [
                    b"_csrf=" + csrf.encode() + b"&network.smtp_server=\xff\xfe\xfd",
                    b"_csrf=" + csrf.encode() + b"&\xc3\x28=1",
                    b"_csrf=" + csrf.encode() + b"&description.location=%ff%fe%00",
                    bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 300))),
                ]
            )
            ctype = rnd.choice(
                [
                    "application/x-www-form-urlencoded",
                    "application/x-www-form-urlencoded; charset=no-such-charset",
                    "application/x-www-form-urlencoded; charset=utf-16",
                ]
            )
            cases.append(Case(kind, "POST", url, data=body, headers={"Content-Type": ctype}))
        elif kind == "multipart-garbage":
            boundary = "b" + str(rnd.randint(0, 10**9))
            body = rnd.choice(
                [
                    bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 400))),
                    f'--{boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name="x"\r\n\r\nunterminated'.encode(),
                    f"--wrong\r\n\r\n--{boundary}--\r\n".encode(),
                    f"--{boundary}\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--{boundary}--\r\n".encode(),
                ]
            )
            ctype = rnd.choice(
                [
                    f"multipart/form-data; boundary={boundary}",
                    "multipart/form-data",
                    "multipart/form-data; boundary=",
                ]
            )
            cases.append(Case(kind, "POST", url, data=body, headers={"Content-Type": ctype}))
        elif kind == "multipart-file":
            mp = aiohttp.FormData()
            mp.add_field("_csrf", csrf)
            for k, v in encode(form):
                mp.add_field(k, v)
            mp.add_field(
                page.fields[0].path,
                b"\x00binary",
                filename="evil.bin",
                content_type="application/octet-stream",
            )
            cases.append(Case(kind, "POST", url, data=mp))
        elif kind == "content-type":
            ctype = rnd.choice(["text/plain", "application/json", "application/xml", ""])
            cases.append(Case(kind, "POST", url, data=b"a=b", headers={"Content-Type": ctype}))
        elif kind == "oversized":
            size = rnd.choice([70_000, 200_000])
            cases.append(
                Case(kind, "POST", url, data=[*encode(form), ("_csrf", csrf), ("pad", "x" * size)])
            )
        elif kind == "json-bad-type":
            body = {
                f.path: v for f, v in ((f, state.get(f.path)) for f in page.fields) if not f.secret
            }
            body = {k: list(v) if isinstance(v, tuple) else v for k, v in body.items()}
            f = rnd.choice(page.fields)
            body[f.path] = rnd.choice(BAD_JSON_VALUES[KINDS[f.kind]])
            if f.secret and body[f.path] is None:
                body[f.path] = 12345
            cases.append(Case(kind, "POST", f"/api/config/{page.slug}", json=body, basic=True))
        elif kind == "json-garbage":
            raw = rnd.choice(
                [
                    b"{", b"[]", b"null", b"42", b'"str"', b"{\"a\": NaN}", b"\xff\xfe{}",
                    b"[" * 50_000 + b"]" * 50_000, b'{"network.smtp_port": ' + b"9" * 5000 + b"}",
                    json.dumps({"network.smtp_port": float("inf")}).encode(),
                ]
            )  # fmt: skip
            cases.append(
                Case(
                    kind,
                    "POST",
                    f"/api/config/{page.slug}",
                    data=raw,
                    headers={"Content-Type": "application/json"},
                    basic=True,
                )
            )
        elif kind == "json-unknown":
            body = {"zz.not.a.field": 1, "admin.password": "pwned", "status.state": "stopped"}
            cases.append(Case(kind, "POST", f"/api/config/{page.slug}", json=body, basic=True))
        elif kind == "json-no-auth":
            body = {page.fields[0].path: None}
            auth = rnd.choice(
                [
                    None,
                    aiohttp.encode_basic_auth("admin", "wrong"),
                    "Basic !!!",
                    "Bearer x",
                    "Basic " + "A" * 2000,
                ]
            )
            headers = {"Authorization": auth} if auth else {}
            cases.append(
                Case(
                    kind, "POST", f"/api/config/{page.slug}", json=body, headers=headers, anon=True
                )
            )
        elif kind == "json-cookie-no-csrf":
            headers = rnd.choice([{}, {"X-CSRF-Token": "nope"}, {"X-CSRF-Token": csrf[:10]}])
            body = {"description.location": "changed by a forged request"}
            cases.append(Case(kind, "POST", "/api/config/printer-info", json=body, headers=headers))
        elif kind == "login-garbage":
            data = rnd.choice(
                [
                    [("username", "admin"), ("password", "x" * rnd.randint(0, 500))],
                    [("username", "\x00"), ("password", "")],
                    [("username", "admin\u202e"), ("password", "admin\x00")],
                ]
            )
            cases.append(Case(kind, "POST", "/login", data=data, anon=True))
    return cases


async def test_a_thousand_malformed_posts(ews: Any, ews_kit: Any, basic: dict[str, str]) -> None:
    state = ews.device.state
    rnd = random.Random(20260101)
    before = ews.snapshot()
    statuses: Counter[int] = Counter()
    kinds: Counter[str] = Counter()
    async with ews_kit.client() as admin, ews_kit.client() as anon:
        csrf = await ews_kit.login(admin, ews.url)
        cases = make_cases(state, csrf, rnd)
        assert len(cases) >= 1000
        sem = asyncio.Semaphore(8)

        async def run(case: Case) -> None:
            session = anon if case.kw.pop("anon", False) else admin
            headers = dict(case.kw.pop("headers", {}))
            if case.kw.pop("basic", False):
                headers.update(basic)
            async with (
                sem,
                session.request(
                    case.method,
                    ews.url + case.path,
                    headers=headers,
                    allow_redirects=False,
                    **case.kw,
                ) as r,
            ):
                text = await r.text(errors="replace")
                statuses[r.status] += 1
                kinds[case.kind] += 1
                assert 400 <= r.status < 500, (case.kind, case.path, r.status, text[:300])
                assert text.strip(), (case.kind, r.status)
                if r.status == 400 and r.content_type == "application/json":
                    body = json.loads(text)
                    messages = body.get("errors", {"": body.get("error", "")})
                    assert messages and all(isinstance(m, str) and m for m in messages.values())
                elif r.status == 400 and case.path.startswith("/config/"):
                    assert 'role="alert"' in text  # the error is shown, per field or for the form
            assert ews.snapshot() == before, case.kind  # nothing changed, after every post

        await asyncio.gather(*(run(c) for c in cases))
    print(f"\nmalformed posts: {sum(statuses.values())}; statuses {dict(sorted(statuses.items()))}")
    print(f"kinds: {dict(sorted(kinds.items()))}")
    assert sum(statuses.values()) >= 1000
    assert statuses.keys() <= {400, 401, 403, 413, 415}
    assert {400, 401, 403, 413, 415} <= statuses.keys()  # every kind of refusal was exercised
    assert ews.snapshot() == before
