"""What the IPP Everywhere suites only see advertised, done for real: job-hold-until and
Release-Job, job-priority ordering, page-ranges and overrides (counted in impressions and
per media), event subscriptions pulled with Get-Notifications, and the profile's
``ipp.media_mismatch`` reaction (stop with media-needed, or the A4/Letter override, or print
on what is loaded). A profile not claiming IPP Everywhere refuses the IPP/2.2 operations.
"""

from __future__ import annotations

import pytest

from printbench.common.clock import FakeClock
from printbench.emulator.behaviour import PrinterEngine
from printbench.emulator.ipp.operations import Context, respond
from printbench.emulator.profiles import build_printer
from printbench.ipp.codec import Attribute, Group, Message, Range, Tag
from tests.ipp.conftest import Device, make_pdf

PRINT_JOB, GET_JOB, HOLD, RELEASE, GPA = 0x02, 0x09, 0x0C, 0x0D, 0x0B
CREATE_SUBS, GET_NOTIFICATIONS, RESTART_JOB = 0x16, 0x1C, 0x0E
URI = "ipp://127.30.4.1:631/ipp/print"
A4, LETTER, LEGAL = "iso_a4_210x297mm", "na_letter_8.5x11in", "na_legal_8.5x14in"


def _device(profile: str = "color-laser-mfp", **ipp: object) -> Device:
    clock = FakeClock()
    state = build_printer(profile, seed=4, clock=clock, host="127.30.4.1")
    for name, value in ipp.items():
        setattr(state.ipp, name, value)
    return Device(state, PrinterEngine(state, clock, seed=4), clock)


def _print(device: Device, pages: int, *job: Attribute, copies: int = 1) -> int:
    g = Group(0x01)
    g.add("attributes-charset", Tag.CHARSET, "utf-8")
    g.add("attributes-natural-language", Tag.NATURAL_LANGUAGE, "en")
    g.add("printer-uri", Tag.URI, URI)
    g.add("requesting-user-name", Tag.NAME, "alice")
    g.add("document-format", Tag.MIME_MEDIA_TYPE, "application/pdf")
    jg = Group(0x02, [Attribute("copies", Tag.INTEGER, [copies]), *job])
    resp = _call(device, Message((2, 0), PRINT_JOB, 1, [g, jg], make_pdf(pages, 595, 842)))
    assert resp.code == 0, resp
    return _value(resp, "job-id")


def _op(device: Device, code: int, *attrs: Attribute, groups: list[Group] = ()) -> Message:
    g = Group(0x01)
    g.add("attributes-charset", Tag.CHARSET, "utf-8")
    g.add("attributes-natural-language", Tag.NATURAL_LANGUAGE, "en")
    g.add("printer-uri", Tag.URI, URI)
    g.add("requesting-user-name", Tag.NAME, "alice")
    g.attributes.extend(attrs)
    return _call(device, Message((2, 0), code, 2, [g, *groups]))


def _call(device: Device, msg: Message) -> Message:
    return respond(msg, Context(device, URI, "http://127.30.4.1/"))


def _value(resp: Message, name: str) -> object:
    return next(a.values[0] for g in resp.groups for a in g.attributes if a.name == name)


def _job(device: Device, job_id: int):
    return next(j for j in device.state.jobs if j.index == job_id)


def test_ipp_jobs_hold_until_and_release() -> None:
    device = _device()
    job_id = _print(device, 2, Attribute("job-hold-until", Tag.KEYWORD, ["indefinite"]))
    device.engine.finish_all()
    job = _job(device, job_id)
    assert job.state == "pending-held" and job.state_reasons == ("job-hold-until-specified",)
    assert job.impressions_completed == 0
    resp = _op(device, RELEASE, Attribute("job-id", Tag.INTEGER, [job_id]))
    assert resp.code == 0
    device.engine.finish_all()
    assert job.state == "completed" and job.impressions_completed == 2
    # releasing a job that is not held: client-error-not-possible (RFC 8011 §4.3.6)
    assert _op(device, RELEASE, Attribute("job-id", Tag.INTEGER, [job_id])).code == 0x0404
    # Hold-Job on a queued job keeps it from printing
    device.engine.pause()
    other = _print(device, 1)
    assert _op(device, HOLD, Attribute("job-id", Tag.INTEGER, [other])).code == 0
    device.engine.resume()
    device.engine.finish_all()
    assert _job(device, other).state == "pending-held"


def test_ipp_jobs_priority_orders_the_queue() -> None:
    device = _device()
    device.engine.pause()
    low = _print(device, 1, Attribute("job-priority", Tag.INTEGER, [10]))
    high = _print(device, 1, Attribute("job-priority", Tag.INTEGER, [90]))
    mid = _print(device, 1)
    device.engine.resume()
    order = []
    for _ in range(3):
        device.clock.advance(60 / device.state.description.pages_per_minute + 0.01)
        device.engine.tick()
        done = [j.index for j in device.state.jobs if j.state == "completed"]
        order += [i for i in done if i not in order]
    assert order == [high, mid, low]


def test_ipp_jobs_page_ranges_count_impressions_on_every_counter() -> None:
    device = _device()
    s = device.state
    before = (s.counters.total_impressions, s.markers[0].life_count)
    ranges = Attribute("page-ranges", Tag.RANGE_OF_INTEGER, [Range(2, 4), Range(7, 7)])
    job_id = _print(device, 10, ranges, copies=2)
    device.engine.finish_all()
    job = _job(device, job_id)
    assert (job.pages_sent, job.pages, job.impressions_completed) == (10, 4, 8)
    after = (s.counters.total_impressions, s.markers[0].life_count)
    assert [a - b for a, b in zip(after, before, strict=True)] == [8, 8]
    resp = _op(device, GET_JOB, Attribute("job-id", Tag.INTEGER, [job_id]))
    assert _value(resp, "job-impressions") == 8


def test_ipp_jobs_overrides_print_pages_on_other_media() -> None:
    device = _device()
    override = Attribute(
        "overrides",
        Tag.BEG_COLLECTION,
        [
            [
                Attribute("pages", Tag.RANGE_OF_INTEGER, [Range(3, 4)]),
                Attribute("document-numbers", Tag.RANGE_OF_INTEGER, [Range(1, 1)]),
                Attribute("media", Tag.KEYWORD, [LETTER]),
            ]
        ],
    )
    _print(device, 4, Attribute("media", Tag.KEYWORD, [A4]), override)
    device.engine.finish_all()
    sheets = {m.media: m.total_sheets for m in device.state.media_used}
    assert sheets == {A4: 2, LETTER: 2}


def _only_a4(device: Device) -> None:
    for tray in device.state.input_trays:
        tray.media = A4
        tray.level = max(tray.level, 50)


@pytest.mark.parametrize(
    ("mode", "media", "prints"),
    [
        ("stop", LETTER, False),
        ("override-a4-letter", LETTER, True),
        ("override-a4-letter", LEGAL, False),
        ("print-on-loaded", LEGAL, True),
    ],
)
def test_ipp_jobs_media_mismatch_follows_the_profile(mode: str, media: str, prints: bool) -> None:
    device = _device(media_mismatch=mode)
    _only_a4(device)
    job_id = _print(device, 2, Attribute("media", Tag.KEYWORD, [media]))
    device.engine.finish_all()
    job = _job(device, job_id)
    reasons = device.state.status.state_reasons
    if prints:
        assert job.state == "completed" and "media-needed" not in reasons
        assert {m.media for m in device.state.media_used} == {A4}  # printed on what is loaded
    else:
        assert job.state == "processing-stopped" and job.impressions_completed == 0
        assert device.state.status.state == "stopped" and "media-needed" in reasons


def test_ipp_jobs_media_mismatch_is_a_profile_setting() -> None:
    from printbench.emulator.profile_schema import SCHEMA

    assert SCHEMA.fields["ipp"].kind.fields["media_mismatch"].enum == (
        "stop",
        "override-a4-letter",
        "print-on-loaded",
    )
    assert all(_device(p).state.ipp.media_mismatch == "stop" for p in ("color-laser-mfp",))


def test_ipp_jobs_subscription_events_pulled_with_get_notifications() -> None:
    device = _device()
    sub = Group(
        0x06,
        [
            Attribute("notify-pull-method", Tag.KEYWORD, ["ippget"]),
            Attribute("notify-events", Tag.KEYWORD, ["job-created", "job-completed"]),
        ],
    )
    resp = _op(device, CREATE_SUBS, groups=[sub])
    assert resp.code == 0
    sid = _value(resp, "notify-subscription-id")
    job_id = _print(device, 1)
    device.engine.finish_all()
    resp = _op(
        device,
        GET_NOTIFICATIONS,
        Attribute("notify-subscription-ids", Tag.INTEGER, [sid]),
        Attribute("notify-sequence-numbers", Tag.INTEGER, [1]),
    )
    assert resp.code == 0
    events = [{a.name: a.values[0] for a in g.attributes} for g in resp.groups if g.tag == 0x07]
    assert [(e["notify-subscribed-event"], e["notify-job-id"]) for e in events] == [
        ("job-created", job_id),
        ("job-completed", job_id),
    ]
    assert _value(resp, "notify-get-interval") > 0


def test_ipp_jobs_profile_without_everywhere_refuses_ipp22_operations() -> None:
    device = _device("mono-desktop-laser")
    assert not device.state.ipp.everywhere
    job_id = _print(device, 1)
    device.engine.finish_all()
    resp = _op(device, RESTART_JOB, Attribute("job-id", Tag.INTEGER, [job_id]))
    assert resp.code == 0x0501  # server-error-operation-not-supported
    resp = _op(device, GPA, Attribute("requested-attributes", Tag.KEYWORD, ["all"]))
    attrs = {a.name: a.values for g in resp.groups for a in g.attributes}
    assert attrs["ipp-versions-supported"] == ["1.1", "2.0"]
    assert "ipp-everywhere" not in attrs["ipp-features-supported"]
    assert RESTART_JOB not in attrs["operations-supported"]
    everywhere = _device("color-laser-mfp")
    job_id = _print(everywhere, 1)
    everywhere.engine.finish_all()
    assert _op(everywhere, RESTART_JOB, Attribute("job-id", Tag.INTEGER, [job_id])).code == 0
    everywhere.engine.finish_all()
    assert _job(everywhere, job_id).impressions_completed == 1
    assert everywhere.state.counters.total_impressions == 2  # printed twice
