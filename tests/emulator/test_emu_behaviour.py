"""The behaviour engine with a FakeClock: consumption, counters, states, alerts, console, faults."""

from __future__ import annotations

import pytest

from printbench.common.clock import FakeClock
from printbench.emulator.behaviour import EngineError, EngineInvalid, EngineNotFound, PrinterEngine
from printbench.emulator.profiles import build_printer


@pytest.fixture
def mfp():
    clock = FakeClock()
    state = build_printer("color-laser-mfp", seed=5, clock=clock, host="127.50.3.1")
    events = []
    state.subscribe(events.append)
    engine = PrinterEngine(state, clock, seed=5)
    return state, engine, clock, events


def _supply(state, colour):
    index = next(c.index for c in state.colorants if c.value == colour)
    return next(s for s in state.supplies if s.colorant_index == index)


def test_ten_page_mono_job_moves_everything_by_the_right_amount(mfp):
    state, engine, clock, events = mfp
    black, cyan = _supply(state, "black"), _supply(state, "cyan")
    drum = next(s for s in state.supplies if s.supply_type == "opc")
    tray2 = state.row("input_trays", 2)
    out = state.output_trays[0]
    before = (
        black.level,
        black.consumed_fraction,
        cyan.level,
        cyan.consumed_fraction,
        drum.consumed_fraction,
    )
    sheets_before, remaining_before = tray2.level, out.remaining_capacity
    life = state.markers[0].life_count

    job = engine.submit_job(pages=10, color=False, name="report.pdf")
    assert job.state == "pending"
    clock.advance(60 / 28 * 10 + 1)  # 28 ppm
    engine.tick()

    assert (
        job.state == "completed" and job.impressions_completed == 10 and job.sheets_completed == 10
    )
    assert state.markers[0].life_count == life + 10
    assert state.markers[0].power_on_count == 10
    assert tray2.level == sheets_before - 10  # tray 1 is the (empty) bypass tray
    assert out.remaining_capacity == remaining_before - 10
    assert black.consumed_fraction == pytest.approx(before[1] + 10 * black.per_page)
    assert (cyan.level, cyan.consumed_fraction) == (before[2], before[3])  # mono: no colour toner
    assert drum.consumed_fraction == pytest.approx(before[4] + 10 * drum.per_page)
    c = state.counters
    assert (c.total_impressions, c.mono_impressions, c.color_impressions) == (10, 10, 0)
    assert (c.total_sheets, c.two_sided_sheets, c.completed_jobs) == (10, 0, 1)
    assert len(state.media_used) == 1
    used = state.media_used[0]
    assert (used.media, used.total_sheets, used.mono_impressions) == ("iso_a4_210x297mm", 10, 10)
    paths = {e.path for e in events}
    assert {
        "markers.1.life_count",
        "input_trays.2.level",
        "counters.total_impressions",
        "jobs",
    } <= paths
    assert state.status.state == "idle" and state.consoles[0].display_buffer[0] == "Ready"


def test_progress_follows_the_clock(mfp):
    state, engine, clock, _ = mfp
    job = engine.submit_job(pages=28, color=False)
    clock.advance(30)  # half a minute at 28 ppm
    engine.tick()
    assert job.impressions_completed == 14 and job.state == "processing"
    assert state.status.state == "processing"
    assert state.consoles[0].display_buffer[0] == "Printing..."
    clock.advance(30)
    engine.tick()
    assert job.state == "completed" and state.status.state == "idle"


def test_duplex_halves_sheets_and_copies_multiply(mfp):
    state, engine, _, _ = mfp
    job = engine.submit_job(pages=5, copies=3, sides="two-sided-long-edge", color=False)
    engine.finish_all()
    assert job.impressions_completed == 15
    assert job.sheets_completed == 9  # ceil(5/2) per copy
    assert state.counters.total_sheets == 9
    assert state.counters.two_sided_sheets == 6  # the last sheet of each copy is one-sided


def test_colour_job_uses_every_colour(mfp):
    state, engine, _, _ = mfp
    job = engine.submit_job(pages=4, color=True)
    engine.finish_all()
    assert job.color
    for colour in ("black", "cyan", "magenta", "yellow"):
        s = _supply(state, colour)
        assert s.consumed_fraction == pytest.approx(4 * s.per_page)
    assert state.counters.color_impressions == 4 and state.counters.mono_impressions == 0
    assert state.media_used[0].color_impressions == 4


def test_toner_runs_out_raises_alert_stops_and_resumes_after_refill(mfp):
    state, engine, _, _ = mfp
    black = _supply(state, "black")
    black.level = 1  # one unit left, 0.0133 per page: runs out after 76 pages
    engine.evaluate()
    assert "toner-low" in state.status.state_reasons
    assert any(a.code == "markerTonerAlmostEmpty" for a in state.alerts)
    job = engine.submit_job(pages=100, color=False)
    engine.finish_all()
    assert black.level == 0
    assert job.state == "processing-stopped" and job.impressions_completed == 76
    assert state.status.state == "stopped"
    assert "toner-empty" in state.status.state_reasons
    assert [a.code for a in state.alerts if a.group == "markerSupplies"] == ["markerTonerEmpty"]
    assert state.consoles[0].display_buffer[0] == "Replace black toner"
    engine.refill(black.index)
    assert not state.alerts
    engine.finish_all()
    assert job.state == "completed" and job.impressions_completed == 100
    assert state.status.state == "idle" and state.status.state_reasons == ("none",)


def test_empty_colour_toner_stops_colour_jobs_only(mfp):
    state, engine, _, _ = mfp
    engine.inject("toner_empty", supply_index=_supply(state, "cyan").index)
    assert state.status.state == "idle"  # mono still prints
    mono = engine.submit_job(pages=2, color=False)
    engine.finish_all()
    assert mono.state == "completed"
    colour = engine.submit_job(pages=2, color=True)
    engine.finish_all()
    assert colour.state == "processing-stopped" and state.status.state == "stopped"
    engine.clear("toner_empty", supply_index=_supply(state, "cyan").index)
    engine.finish_all()
    assert colour.state == "completed"


def test_empty_tray_asks_for_paper_and_resumes_when_loaded(mfp):
    state, engine, _, _ = mfp
    engine.inject("tray_empty", tray_index=2)
    assert "media-empty" in state.status.state_reasons
    job = engine.submit_job(pages=3, color=False)
    engine.finish_all()
    assert job.state == "processing-stopped"
    assert state.consoles[0].display_buffer[0] == "Load Tray 2 A4"
    assert "media-needed" in state.status.state_reasons
    engine.load_paper(2, sheets=2)
    engine.finish_all()
    assert job.impressions_completed == 2 and state.row("input_trays", 2).level == 0
    engine.load_paper(2)
    engine.finish_all()
    assert job.state == "completed" and state.row("input_trays", 2).level == 249


def test_letter_job_takes_paper_from_the_letter_tray(mfp):
    state, engine, _, _ = mfp
    job = engine.submit_job(pages=2, media="na_letter_8.5x11in", color=False)
    engine.finish_all()
    assert job.state == "completed"
    assert state.row("input_trays", 3).level == 548
    assert {u.media for u in state.media_used} == {"na_letter_8.5x11in"}


def test_jam_and_cover(mfp):
    state, engine, clock, _ = mfp
    job = engine.submit_job(pages=20, color=False)
    clock.advance(10)
    engine.tick()
    printed = job.impressions_completed
    engine.inject("jam")
    assert state.status.jammed and state.status.jam_tray == 2
    assert state.counters.jam_count == 1
    assert state.status.state == "stopped" and job.state == "processing-stopped"
    assert state.consoles[0].display_buffer[0] == "Paper jam in tray 2"
    jam = next(a for a in state.alerts if a.code == "jam")
    assert (jam.group, jam.group_index, jam.severity) == ("input", 2, "critical")
    clock.advance(60)
    engine.tick()
    assert job.impressions_completed == printed  # nothing prints while jammed
    engine.inject("cover_open", cover_index=1)
    engine.clear("jam")
    assert state.consoles[0].display_buffer[0] == "Close front door"
    assert "cover-open" in state.status.state_reasons and state.status.state == "stopped"
    attention = next(lt for lt in state.consoles[0].lights if lt.description == "Attention")
    assert (attention.on_time, attention.off_time) == (500, 500)
    engine.clear("cover_open", cover_index=1)
    assert state.status.state == "processing" and not state.alerts
    engine.finish_all()
    assert job.state == "completed"


def test_output_bin_full_stops_printing(mfp):
    state, engine, _, _ = mfp
    state.output_trays[0].remaining_capacity = 3
    job = engine.submit_job(pages=5, color=False)
    engine.finish_all()
    assert job.impressions_completed == 3 and state.status.state == "stopped"
    assert "output-area-full" in state.status.state_reasons
    engine.empty_output()
    engine.finish_all()
    assert job.state == "completed"


def test_pause_offline_and_cancel(mfp):
    state, engine, _, _ = mfp
    engine.pause()
    job = engine.submit_job(pages=2, color=False)
    engine.finish_all()
    assert job.state == "pending" and state.status.state == "stopped"
    assert state.status.state_reasons[0] == "paused"
    engine.resume()
    engine.inject("offline")
    engine.finish_all()
    assert job.impressions_completed == 0 and "offline-report" in state.status.state_reasons
    engine.cancel_job(job.index)
    assert job.state == "canceled" and state.counters.canceled_jobs == 1
    with pytest.raises(EngineError, match="already canceled"):
        engine.cancel_job(job.index)
    engine.clear("offline")
    assert state.status.state == "idle"


def test_reboot_power_cycle(mfp):
    state, engine, clock, _ = mfp
    engine.submit_job(pages=3, color=False)
    engine.finish_all()
    job = engine.submit_job(pages=50, color=False)
    clock.advance(5)
    engine.tick()
    engine.inject("cover_open")
    boot = state.status.boot_count
    engine.reboot()
    assert state.status.boot_count == boot + 1
    assert state.status.boot_monotonic == clock.monotonic()
    assert state.markers[0].power_on_count == 0
    assert state.markers[0].life_count >= 3
    assert job.state == "aborted" and state.counters.aborted_jobs == 1
    # the cover is still open after the reboot: its alert is raised again, with a new index
    assert [a.code for a in state.alerts] == ["coverOpen"]


def test_power_off_and_on(mfp):
    state, engine, _, _ = mfp
    engine.inject("power_off")
    assert not state.status.powered and state.status.state == "stopped"
    assert state.consoles[0].display_buffer == ("", "")
    with pytest.raises(EngineError, match="powered off"):
        engine.submit_job(pages=1)
    engine.clear("power_off")
    assert state.status.powered and state.status.boot_count == 2
    assert state.status.state == "idle"


def test_factory_reset_restores_settings_not_counters(mfp):
    state, engine, _, _ = mfp
    location = state.description.location
    engine.submit_job(pages=2, color=False)
    engine.finish_all()
    state.description.location = "Moved"
    state.snmp.read_community = "secret"
    engine.factory_reset()
    assert state.description.location == location
    assert state.snmp.read_community == "public"
    assert state.counters.total_impressions == 2
    assert state.status.factory_resets == 1 and state.status.boot_count == 2


def test_create_job_then_documents(mfp):
    _, engine, _, _ = mfp
    job = engine.create_job(name="multi", copies=2)
    assert (job.state, job.state_reasons) == ("pending-held", ("job-incoming",))
    engine.finish_all()
    assert job.impressions_completed == 0
    engine.add_document(
        job.index, pages=3, document_format="application/pdf", size_bytes=100, last=False
    )
    engine.add_document(
        job.index, pages=2, document_format="application/pdf", size_bytes=50, last=True
    )
    assert job.state == "pending" and job.documents == 2 and job.pages == 5
    engine.finish_all()
    assert job.state == "completed" and job.impressions_completed == 10
    with pytest.raises(EngineError, match="accepts no more documents"):
        engine.add_document(job.index, pages=1, document_format="x/y", size_bytes=1, last=True)
    empty = engine.create_job()
    engine.close_job(empty.index)
    assert empty.state == "completed"


def test_bad_requests_are_refused_precisely(mfp):
    _, engine, _, _ = mfp
    with pytest.raises(EngineInvalid, match="unknown fault 'fire'"):
        engine.inject("fire")
    with pytest.raises(EngineInvalid, match="takes supply_index; got tray_index"):
        engine.inject("toner_empty", tray_index=1)
    with pytest.raises(EngineNotFound, match="no covers row 9"):
        engine.inject("cover_open", cover_index=9)
    with pytest.raises(EngineNotFound, match="no job 99"):
        engine.cancel_job(99)
    with pytest.raises(EngineInvalid, match="media 'iso_a0"):
        engine.submit_job(pages=1, media="iso_a0_841x1189mm")
    with pytest.raises(EngineInvalid, match="unknown job ticket key"):
        engine.submit_job(pages=1, colour=True)
    with pytest.raises(EngineInvalid, match="copies"):
        engine.submit_job(pages=1, copies=0)


def test_mono_printer_prints_colour_requests_in_black():
    clock = FakeClock()
    state = build_printer("mono-desktop-laser", clock=clock)
    engine = PrinterEngine(state, clock)
    job = engine.submit_job(pages=4, color=True)
    engine.finish_all()
    assert not job.color and state.counters.mono_impressions == 4
    assert state.counters.total_sheets == 2  # duplex by default on this model


def test_same_inputs_same_events():
    def run():
        clock = FakeClock()
        state = build_printer("inkjet-office", seed=9, clock=clock)
        events = []
        state.subscribe(events.append)
        engine = PrinterEngine(state, clock, seed=9)
        engine.submit_job(pages=30, copies=2)
        for _ in range(10):
            clock.advance(7.3)
            engine.tick()
        engine.inject("jam")
        engine.clear("jam")
        engine.finish_all()
        return [(e.path, e.old, e.new) for e in events]

    assert run() == run()


def test_speed_factor():
    clock = FakeClock()
    state = build_printer("mono-desktop-laser", clock=clock)
    engine = PrinterEngine(state, clock, speed=3)
    job = engine.submit_job(pages=120, sides="one-sided")
    clock.advance(30)
    engine.tick()
    assert job.impressions_completed == 60  # 40 ppm x 3 for half a minute
    clock.advance(30)
    engine.tick()
    assert job.state == "completed"
