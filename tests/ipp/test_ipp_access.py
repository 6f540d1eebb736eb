"""Issue 17: IPP printer administration and other users' jobs only as the profile's access
policy says (emulator/ipp/access.py: RFC 8011 §4.2.7-4.2.9 and §4.3.3, RFC 3380 §4.1,
RFC 3998, PWG 5100.11). Default closed: HTTP Basic of the profile's admin account; a
profile may open them. Raw HTTP on real sockets, and ipptool as the real peer."""

from __future__ import annotations

import asyncio
import base64
import shutil
from pathlib import Path

import pytest

from printbench.emulator.device import Ports, VirtualPrinter
from printbench.ipp.codec import Attribute, Group, GroupTag, Message, Tag, decode, encode

HOST = "127.117.4.1"
ADMIN = "Basic " + base64.b64encode(b"admin:admin").decode()
WRONG = "Basic " + base64.b64encode(b"admin:guess").decode()


@pytest.fixture
async def printer():
    vp = VirtualPrinter("color-laser-mfp", host=HOST, ports=Ports.ephemeral())
    await vp.start(faces=("ipp",), drive=False)
    try:
        yield vp
    finally:
        await vp.stop()


def _uri(vp: VirtualPrinter) -> str:
    return vp.endpoints["ipp"]


async def _post(vp: VirtualPrinter, code: int, *, user: str = "alice", auth: str = "",
                op: list[Attribute] | None = None,
                printer: list[Attribute] | None = None) -> tuple[int, bytes, Message | None]:  # fmt: skip
    g = Group(GroupTag.OPERATION)
    g.add("attributes-charset", Tag.CHARSET, "utf-8")
    g.add("attributes-natural-language", Tag.NATURAL_LANGUAGE, "en")
    g.add("printer-uri", Tag.URI, _uri(vp))
    g.add("requesting-user-name", Tag.NAME, user)
    g.attributes.extend(op or [])
    groups = [g] + ([Group(GroupTag.PRINTER, printer)] if printer else [])
    body = encode(Message((2, 0), code, 1, groups))
    port = int(_uri(vp).split(":")[2].split("/")[0])
    reader, writer = await asyncio.open_connection(HOST, port)
    extra = f"Authorization: {auth}\r\n" if auth else ""
    writer.write(f"POST /ipp/print HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/ipp\r\n"
                 f"Content-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n".encode()
                 + body)  # fmt: skip
    answer = await asyncio.wait_for(reader.read(-1), 10)
    writer.close()
    head, _, rest = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    return status, head, decode(rest) if status == 200 else None


def _job(vp: VirtualPrinter, user: str) -> int:
    return vp.engine.submit_job(pages=1, name="j", user=user).index


PAUSE, RESUME, SPA, CANCEL_JOB, CANCEL_JOBS, PURGE = 0x10, 0x11, 0x13, 0x08, 0x38, 0x12


@pytest.mark.parametrize("code", [PAUSE, RESUME, PURGE, CANCEL_JOBS, 0x0023, 0x0025])
async def test_administration_needs_the_admin_credentials(printer, code: int) -> None:
    snapshot = dict(printer.state.walk())
    for auth in ("", WRONG):
        status, head, _ = await _post(printer, code, auth=auth)
        assert status == 401, head
        assert b'WWW-Authenticate: Basic realm="printbench"' in head
    assert dict(printer.state.walk()) == snapshot  # nothing happened
    status, _, msg = await _post(printer, code, auth=ADMIN)
    assert status == 200 and msg is not None and msg.code < 0x0400, msg


async def test_set_printer_attributes_is_for_the_administrator(printer) -> None:
    info = [Attribute("printer-info", Tag.TEXT, ["changed by alice"])]
    status, _, _ = await _post(printer, SPA, printer=info)
    assert status == 401
    assert printer.state.description.info != "changed by alice"
    status, _, msg = await _post(printer, SPA, printer=info, auth=ADMIN)
    assert status == 200 and msg is not None and msg.code == 0
    assert printer.state.description.info == "changed by alice"


async def test_other_users_jobs_only_for_their_owner_or_the_admin(printer) -> None:
    bobs = _job(printer, "bob")
    op = [Attribute("job-id", Tag.INTEGER, [bobs])]
    status, _, msg = await _post(printer, CANCEL_JOB, user="alice", op=op)
    assert status == 200 and msg is not None
    assert msg.code == 0x0403  # client-error-not-authorized
    assert printer.engine.find_job(bobs).state not in ("canceled",)
    status, _, msg = await _post(printer, CANCEL_JOB, user="bob", op=op)
    assert msg is not None and msg.code == 0
    theirs = _job(printer, "carol")
    op = [Attribute("job-id", Tag.INTEGER, [theirs])]
    status, _, msg = await _post(printer, CANCEL_JOB, user="admin", op=op, auth=ADMIN)
    assert msg is not None and msg.code == 0


async def test_a_profile_may_open_administration_and_jobs(printer) -> None:
    printer.state.ipp.admin_operations = "open"
    printer.state.ipp.job_operations = "open"
    status, _, msg = await _post(printer, PAUSE)
    assert status == 200 and msg is not None and msg.code == 0
    bobs = _job(printer, "bob")
    _, _, msg = await _post(printer, CANCEL_JOB, op=[Attribute("job-id", Tag.INTEGER, [bobs])])
    assert msg is not None and msg.code == 0


async def test_a_profile_may_trust_requesting_user_name(printer) -> None:
    printer.state.ipp.admin_identity = "requesting-user-name"
    status, _, _ = await _post(printer, PAUSE, user="alice")
    assert status == 401
    status, _, msg = await _post(printer, PAUSE, user="admin")
    assert status == 200 and msg is not None and msg.code == 0


PAUSE_TEST = """{
  NAME "Pause-Printer as the administrator"
  OPERATION Pause-Printer
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR name requesting-user-name $user
  STATUS successful-ok
}
{
  NAME "Resume-Printer as the administrator"
  OPERATION Resume-Printer
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR name requesting-user-name $user
  STATUS successful-ok
}
"""


@pytest.mark.skipif(shutil.which("ipptool") is None, reason="ipptool (cups-ipp-utils) missing")
async def test_ipptool_pauses_only_with_the_admin_credentials(printer, tmp_path: Path) -> None:
    """ipptool answers the 401 with the credentials in the URI (user:password@), as CUPS does."""
    (tmp_path / "pause.test").write_text(PAUSE_TEST)

    async def run(uri: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            "ipptool", "-T", "10", "-t", uri, "pause.test", cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(proc.communicate(), 60)
        return proc.returncode or 0, out.decode(errors="replace")

    plain = _uri(printer)
    code, out = await run(plain)
    assert code != 0 and "FAIL" in out, out
    assert not printer.state.status.paused
    code, out = await run(plain.replace("ipp://", "ipp://admin:admin@"))
    assert code == 0 and out.count("[PASS]") == 2, out
