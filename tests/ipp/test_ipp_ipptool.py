"""CUPS's ipptool against our IPP server: the shipped ipp-1.1 / ipp-2.0 suites and RFC 3380 sets.

ipptool's exit code and its ``-t`` report are parsed: every ``[FAIL]`` line names the failing
test, and the summary line gives the counts that the report quotes.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.interop

_RESULT = re.compile(r"^\s{4}(\S.*?)\s+\[(PASS|FAIL|SKIP)\]\s*$")
_SUMMARY = re.compile(r"Summary: (\d+) tests, (\d+) passed, (\d+) failed, (\d+) skipped")


@dataclass
class IpptoolRun:
    returncode: int
    output: str
    results: list[tuple[str, str]] = field(default_factory=list)
    summary: tuple[int, int, int, int] | None = None

    def names(self, verdict: str) -> list[str]:
        return [n for n, v in self.results if v == verdict]

    def failure_report(self) -> str:
        failed = self.names("FAIL")
        detail = [
            line
            for line in self.output.splitlines()
            if "EXPECTED" in line or "Bad " in line or "got " in line
        ]
        return f"ipptool exit {self.returncode}; failed tests: {failed}; details: {detail[:20]}"


async def ipptool(workdir: Path, *args: str, timeout: float = 120) -> IpptoolRun:
    proc = await asyncio.create_subprocess_exec(
        "ipptool",
        "-T",
        "10",
        *args,
        cwd=workdir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    text = out.decode(errors="replace")
    run = IpptoolRun(proc.returncode or 0, text)
    for line in text.splitlines():
        m = _RESULT.match(line)
        if m:
            run.results.append((m.group(1), m.group(2)))
        s = _SUMMARY.search(line)
        if s:
            run.summary = tuple(int(x) for x in s.groups())  # type: ignore[assignment]
    return run


def assert_clean(run: IpptoolRun, tests: int) -> None:
    assert not run.names("FAIL") and run.returncode == 0, run.failure_report()
    # ipptool 2.4 prints no summary line for a file that INCLUDEs another: count the results
    counted = (
        len(run.results),
        len(run.names("PASS")),
        len(run.names("FAIL")),
        len(run.names("SKIP")),
    )
    assert run.summary in (None, counted), (run.summary, counted)
    total, passed, failed, skipped = counted
    assert failed == 0, run.failure_report()
    assert total == tests == passed + skipped, run.summary


# the tests a complete IPP/1.1 printer with Create-Job, PDF/PS/JPEG, duplex, 2-up and
# job-sheets must run (rather than skip)
MUST_PASS = (
    "RFC 8011 section 4.1.1: Bad request-id value 0",
    "RFC 8011 section 4.2.1: Print-Job Operation",
    "RFC 8011 section 4.2.4: Create-Job Operation",
    "RFC 8011 section 4.3.1: Send-Document Operation",
    "Send-Document missing last-document: Send-Document Operation",
    "Get-Job-Attributes Until Job Complete",
    "Print-Job with A4 PDF, Duplex",
    "Print-Job with US Letter PostScript",
    "Print-Job with Color JPEG on A4",
    "Print-Job with A4 PDF and Standard Sheet",
    "Print-Job with A4 PDF, 2-Up",
)


async def test_ipp_ipptool_ipp11_suite_zero_failures(ipp_server, ipp_workdir: Path) -> None:
    run = await ipptool(
        ipp_workdir, "-t", "-f", "document-a4.pdf", ipp_server.uri(), "ipp-1.1.test"
    )
    assert_clean(run, 66)
    passed = run.names("PASS")
    missing = [t for t in MUST_PASS if not any(p.startswith(t[:60]) for p in passed)]
    assert not missing, f"expected these to run and pass: {missing}"
    # the jobs really went through the engine: pages were printed and counted
    device = ipp_server.devices["127.30.0.1"]
    device.engine.finish_all()
    counters = device.state.counters
    assert counters.total_jobs >= 25  # 23 Print-Jobs and 2 Create-Jobs
    assert counters.completed_jobs >= 20 and counters.canceled_jobs >= 1
    assert counters.total_impressions >= 40


async def test_ipp_ipptool_ipp20_suite_zero_failures(ipp_server, ipp_workdir: Path) -> None:
    run = await ipptool(
        ipp_workdir, "-V", "2.0", "-t", "-f", "document-a4.pdf", ipp_server.uri(), "ipp-2.0.test"
    )
    assert_clean(run, 67)
    assert "PWG 5100.12 section 6.2 - Required Printer Description Attributes" in run.names("PASS")


SET_LOCATION = """
{
  NAME "Set-Printer-Attributes: printer-location, copies-default, printer-contact-col"
  OPERATION Set-Printer-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR name requesting-user-name $user
  GROUP printer-attributes-tag
  ATTR text printer-location "$location"
  ATTR integer copies-default 3
  ATTR enum orientation-requested-default 4
  ATTR collection printer-contact-col {
    MEMBER name contact-name "Jane Admin"
    MEMBER uri contact-uri "mailto:jane@example.com"
    MEMBER text contact-vcard "BEGIN:VCARD","VERSION:4.0","FN:Jane Admin","END:VCARD"
  }
  STATUS successful-ok
}
{
  NAME "Get-Printer-Attributes reads the values back"
  OPERATION Get-Printer-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR keyword requested-attributes printer-location,copies-default,orientation-requested-default,printer-contact-col,printer-settable-attributes-supported,printer-config-changes
  STATUS successful-ok
  EXPECT printer-location OF-TYPE text COUNT 1 WITH-VALUE "$location"
  EXPECT copies-default OF-TYPE integer WITH-VALUE 3
  EXPECT orientation-requested-default OF-TYPE enum WITH-VALUE 4
  EXPECT printer-contact-col OF-TYPE collection COUNT 1
  EXPECT printer-contact-col/contact-name WITH-VALUE "Jane Admin"
  EXPECT printer-contact-col/contact-uri WITH-VALUE "mailto:jane@example.com"
  EXPECT printer-settable-attributes-supported OF-TYPE keyword WITH-VALUE printer-location
  EXPECT printer-settable-attributes-supported WITH-VALUE printer-resolution-default
  EXPECT printer-config-changes OF-TYPE integer WITH-VALUE >0
}
"""

SET_NOT_SETTABLE = """
{
  NAME "Set-Printer-Attributes: printer-make-and-model is not settable"
  OPERATION Set-Printer-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR name requesting-user-name $user
  GROUP printer-attributes-tag
  ATTR text printer-location "must not be applied"
  ATTR text printer-make-and-model "Hacked Printer 9000"
  STATUS client-error-attributes-not-settable
  EXPECT printer-make-and-model IN-GROUP unsupported-attributes-tag OF-TYPE not-settable
  EXPECT !printer-location
}
{
  NAME "Set-Printer-Attributes: sides-default with an unsupported value"
  OPERATION Set-Printer-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  GROUP printer-attributes-tag
  ATTR keyword sides-default "three-sided"
  STATUS client-error-attributes-or-values-not-supported
  EXPECT sides-default IN-GROUP unsupported-attributes-tag
}
{
  NAME "Get-Printer-Attributes: nothing changed"
  OPERATION Get-Printer-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR keyword requested-attributes printer-location,printer-make-and-model,sides-default
  STATUS successful-ok
  EXPECT printer-location WITH-VALUE "$original"
  EXPECT printer-make-and-model WITH-VALUE "$model"
  EXPECT sides-default WITH-VALUE one-sided
}
"""


async def test_ipp_ipptool_set_printer_attributes_round_trip(ipp_server, ipp_workdir: Path) -> None:
    (ipp_workdir / "set-location.test").write_text(SET_LOCATION)
    device = ipp_server.devices["127.30.0.1"]
    events = []
    device.state.subscribe(events.append)
    before = device.state.status.config_changes
    location = "Building 7, Room 4.12"
    run = await ipptool(
        ipp_workdir, "-t", "-d", f"location={location}", ipp_server.admin_uri(),
        "set-location.test",
    )
    assert_clean(run, 2)
    # the one state changed, so SNMP, EWS and TR-069 see it too
    assert device.state.description.location == location
    assert device.state.defaults.copies == 3
    assert device.state.defaults.orientation == "landscape"
    assert device.state.description.contact_name == "Jane Admin"
    assert device.state.description.contact_email == "jane@example.com"
    assert device.state.status.config_changes == before + 1
    assert any(e.path == "description.location" and e.new == location for e in events)
    # the other printer on the same port is untouched
    assert ipp_server.devices["127.30.0.2"].state.description.location != location


async def test_ipp_ipptool_not_settable_changes_nothing(ipp_server, ipp_workdir: Path) -> None:
    (ipp_workdir / "set-denied.test").write_text(SET_NOT_SETTABLE)
    state = ipp_server.devices["127.30.0.1"].state
    original, model = state.description.location, state.description.make_and_model
    snapshot = dict(state.walk())
    run = await ipptool(
        ipp_workdir,
        "-t",
        "-d",
        f"original={original}",
        "-d",
        f"model={model}",
        ipp_server.admin_uri(),
        "set-denied.test",
    )
    assert_clean(run, 3)
    after = dict(state.walk())
    changed = {
        k
        for k in snapshot
        if k in after and snapshot[k] != after[k] and not k.startswith(("jobs.", "status.boot"))
    }
    assert not {
        k for k in changed if k.startswith(("description.", "defaults.", "status.config"))
    }, changed
