"""The behaviour engine: moves a printer's state the way the real device would.

Jobs print at the profile's pages per minute; each impression takes a sheet from the tray that
holds the job's media, consumes toner or ink per colour, advances the marker counters, the
PWG 5106.1 counters (with a MediaUsed row per media) and fills the output bin. Faults (jam,
open cover, empty toner or tray, offline, power off) are *state*, not engine secrets: they are
read back from the state on every evaluation, so a change made through any face (an SNMP SET
of a supply level, an EWS form) has the same effect as one injected here.

:meth:`PrinterEngine.evaluate` derives everything that follows from conditions (found by the
state-reading rules of :mod:`printbench.emulator.conditions`, which the engine inherits): the printer
state (idle / processing / stopped), printer-state-reasons, the alert table (raised and
cleared), the console display text and lights, and whether the current job can go on. It only
writes values that differ, so listeners see one change event per real change.

Time comes from the :class:`~emulator.clock.Clock` given; :meth:`tick` catches the state up to
the clock, :meth:`finish_all` completes all runnable work at once (tests), :meth:`run` is the
real-time driver. No randomness: the same state, clock and seed give the same events.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import logging
import math
from collections.abc import Callable
from typing import Any

from printbench.common.clock import Clock
from printbench.emulator import state as st
from printbench.emulator.conditions import (  # noqa: F401  (re-exported)
    Condition,
    ConditionRules,
    format_ranges,
    media_short_name,
    parse_ranges,
    selected_pages,
)

log = logging.getLogger(__name__)

FAULTS: tuple[str, ...] = (
    "jam",
    "cover_open",
    "toner_empty",
    "tray_empty",
    "offline",
    "power_off",
    "output_full",
)
SIDES = ("one-sided", "two-sided-long-edge", "two-sided-short-edge")
ACTIVE_JOB_STATES = ("processing", "processing-stopped")
TERMINAL_JOB_STATES = ("canceled", "aborted", "completed")
_TICKET_KEYS = frozenset(
    {"name", "user", "copies", "sides", "color", "media", "document_format", "size_bytes"}
)
STEADY = (1000, 0)  # prtConsoleOnTime / OffTime: always on
BLINK = (500, 500)
OFF = (0, 0)


class EngineError(ValueError):
    """An operation the printer refuses in its present state (powered off, job finished, ...)."""


class EngineNotFound(EngineError, KeyError):
    """No such job, tray, supply, cover, ..."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class EngineInvalid(EngineError):
    """A malformed request: a bad parameter, an unknown fault, an unsupported ticket value."""


class PrinterEngine(ConditionRules):
    """Drives one printer's state through jobs, consumption, faults and power cycles."""

    def __init__(
        self,
        state: st.PrinterState,
        clock: Clock,
        *,
        seed: int = 0,
        speed: float = 1.0,
        factory: Callable[[], st.PrinterState] | None = None,
        max_history: int = 100,
    ) -> None:
        if speed <= 0:
            raise EngineInvalid(f"speed must be positive, got {speed}")
        self.state = state
        self.clock = clock
        self.seed = seed
        self.speed = speed
        self.max_history = max_history
        self._factory = factory
        self._last = clock.monotonic()
        self._progress = 0.0  # impressions earned by elapsed time, not yet printed
        # jobs waiting for documents: id -> deadline (RFC 8011 §5.4 multiple-operation-time-out multiple-operation-time-out)
        self._waiting: dict[int, float] = {}
        self._next_deadline = math.inf
        self.pause_after_job = False  # RFC 3998 Pause-Printer-After-Current-Job
        self.hold_new_jobs = False  # RFC 3998 Hold-New-Jobs: new jobs wait until released
        self._held_new: set[int] = set()
        # finished jobs in the history (kept by _finish), so trimming scans only when needed
        self._done = sum(1 for j in state.jobs if j.state in TERMINAL_JOB_STATES)
        state.subscribe(self._note_change)
        self.evaluate()

    def _note_change(self, event: Any) -> None:
        """Stamp state and configuration changes with the up-time they happened at."""
        path = event.path
        if path in ("status.state", "status.state_reasons"):
            self.state.status.state_change_ticks = self._ticks()
        elif path == "status.config_changes":
            self.state.status.config_change_ticks = self._ticks()

    # =========================================================================================
    # Jobs
    # =========================================================================================

    def create_job(
        self,
        *,
        name: str = "untitled",
        user: str = "anonymous",
        copies: int = 1,
        sides: str | None = None,
        color: bool | None = None,
        media: str | None = None,
        document_format: str = "application/octet-stream",
        hold_until: str = "no-hold",
        priority: int = 50,
        page_ranges: tuple[tuple[int, int], ...] = (),
        overrides: tuple[tuple[int, int, int, int, str], ...] = (),
    ) -> st.Job:
        """A new job waiting for its documents (pending-held, job-incoming).

        ``hold_until`` other than no-hold keeps the job held once its documents are in
        (RFC 8011 §5.2.2); ``priority`` 1..100 orders the queue (§5.2.1); ``page_ranges``
        picks the pages printed (§5.2.7); ``overrides`` are (first document, last document,
        first page, last page, media) rows giving those pages other media (PWG 5100.6).
        """
        self.tick()
        s = self.state
        if not s.status.powered:
            raise EngineError("the printer is powered off")
        if not s.status.is_accepting_jobs:
            raise EngineError("the printer is not accepting jobs")
        if not 1 <= priority <= 100:
            raise EngineInvalid(f"priority must be 1 to 100, got {priority!r}")
        if not isinstance(copies, int) or isinstance(copies, bool) or not 1 <= copies <= 9999:
            raise EngineInvalid(f"copies must be an integer from 1 to 9999, got {copies!r}")
        sides = sides or s.defaults.sides
        if sides not in SIDES:
            raise EngineInvalid(f"sides must be one of {', '.join(SIDES)}, got {sides!r}")
        if sides != "one-sided" and not self.duplex_supported():
            raise EngineInvalid(f"sides {sides!r} needs a duplex media path; this model has none")
        media = media or s.defaults.media
        if media not in s.description.media_supported:
            raise EngineInvalid(
                f"media {media!r} is not supported (media_supported: "
                f"{', '.join(s.description.media_supported)})"
            )
        if color is None:
            color = s.defaults.color_mode in ("color", "auto")
        color = bool(color) and s.description.color_supported
        job = st.Job(
            index=s.status.next_job_id,
            name=name,
            user=user,
            state="pending-held",
            state_reasons=("job-incoming",),
            document_format=document_format,
            pages=0,
            copies=copies,
            sides=sides,
            media=media,
            color=color,
            created_ticks=self._ticks(),
            hold_until=hold_until,
            priority=priority,
            sequence=float(s.status.next_job_id),
            page_ranges=format_ranges(page_ranges),
            overrides=overrides,
            last_operation=self.clock.monotonic(),
        )
        s.status.next_job_id += 1
        if self.hold_new_jobs and hold_until == "no-hold":
            job.hold_until = "indefinite"
            self._held_new.add(job.index)
        s.add_row("jobs", job)
        s.counters.total_jobs += 1
        self._wait(job)
        self._trim_history()
        return job

    def _wait(self, job: st.Job) -> None:
        """(Re)start the multiple-operation-time-out of a job waiting for documents."""
        now = self.clock.monotonic()
        job.last_operation = now
        deadline = now + self.state.ipp.multiple_operation_time_out
        self._waiting[job.index] = deadline
        self._next_deadline = min(self._next_deadline, deadline)

    def _unwait(self, job: st.Job) -> None:
        self._waiting.pop(job.index, None)
        job.last_operation = 0.0

    def _expire_waiting(self, now: float) -> None:
        """Abort jobs whose next document did not come within multiple-operation-time-out
        (RFC 8011 §5.4 multiple-operation-time-out; multiple-operation-time-out-action abort-job, PWG 5100.13)."""
        if now < self._next_deadline:
            return
        expired = [i for i, t in self._waiting.items() if t <= now]
        for job_id in expired:
            del self._waiting[job_id]
            job = self.find_job(job_id)
            if job is not None and _incoming(job):
                job.last_operation = 0.0
                self._finish(job, "aborted", "aborted-by-system")
                log.info(
                    "%s: job %d aborted: no document within %d s",
                    self.state.description.name,
                    job_id,
                    self.state.ipp.multiple_operation_time_out,
                )
        self._next_deadline = min(self._waiting.values(), default=math.inf)
        if expired:
            self.evaluate()

    def add_document(
        self, job_id: int, *, pages: int, document_format: str, size_bytes: int, last: bool
    ) -> st.Job:
        """Add a document of ``pages`` pages; ``last`` closes the job so it can print."""
        self.tick()
        job = self.job(job_id)
        if job.state != "pending-held" or "job-incoming" not in job.state_reasons:
            raise EngineError(f"job {job_id} is {job.state}; it accepts no more documents")
        if not isinstance(pages, int) or isinstance(pages, bool) or pages < 1:
            raise EngineInvalid(f"pages must be a positive integer, got {pages!r}")
        if size_bytes < 0:
            raise EngineInvalid(f"size_bytes must not be negative, got {size_bytes}")
        job.pages_sent += pages
        job.doc_pages = (*job.doc_pages, pages)
        job.pages += len(selected_pages(pages, parse_ranges(job.page_ranges)))
        job.documents += 1
        job.document_bytes += size_bytes
        job.document_format = document_format
        if self.state.interfaces:
            itf = self.state.interfaces[0]
            itf.in_octets = (itf.in_octets + size_bytes) % 2**32
        if last:
            self._unwait(job)
            if job.pages == 0:  # page-ranges picked none of the pages: nothing to print
                self._finish(job, "completed", "job-completed-successfully")
            else:
                self._release(job)
        else:
            self._wait(job)
        self.evaluate()
        return job

    def submit_job(self, *, pages: int, **ticket: Any) -> st.Job:
        """Create a job and add its one (last) document: the Print-Job path."""
        unknown = set(ticket) - _TICKET_KEYS
        if unknown:
            raise EngineInvalid(
                f"unknown job ticket key(s) {', '.join(sorted(unknown))} "
                f"(expected {', '.join(sorted(_TICKET_KEYS))})"
            )
        size = ticket.pop("size_bytes", pages * 4096)
        job = self.create_job(**ticket)
        try:
            return self.add_document(
                job.index,
                pages=pages,
                document_format=job.document_format,
                size_bytes=size,
                last=True,
            )
        except EngineError:
            self._finish(job, "aborted", "aborted-by-system")
            raise

    def close_job(self, job_id: int) -> st.Job:
        """No more documents (IPP Close-Job): the job can print; one without pages completes."""
        self.tick()
        job = self.job(job_id)
        if job.state != "pending-held" or "job-incoming" not in job.state_reasons:
            raise EngineError(f"job {job_id} is {job.state}; it is not waiting for documents")
        self._unwait(job)
        if job.pages == 0:
            self._finish(job, "completed", "job-completed-successfully")
        else:
            self._release(job)
        self.evaluate()
        return job

    def cancel_job(self, job_id: int) -> st.Job:
        """Cancel a job that has not finished."""
        self.tick()
        job = self.job(job_id)
        if job.state in TERMINAL_JOB_STATES:
            raise EngineError(f"job {job_id} is already {job.state}")
        if job.state in ACTIVE_JOB_STATES:
            self._progress = 0.0
        self._unwait(job)
        self._finish(job, "canceled", "job-canceled-by-user")
        self.evaluate()
        return job

    def cancel_jobs(self, job_ids: list[int], reason: str = "job-canceled-by-user") -> int:
        """Cancel many jobs at once: one clock catch-up, one evaluation, O(len) with a small
        constant (Cancel-My-Jobs / Cancel-Jobs / Purge-Jobs over thousands of held jobs must
        not hold the event loop; the IPP face also calls this in slices). Returns the count."""
        self.tick()
        wanted = set(job_ids)
        done = 0
        for job in self.state.jobs:
            if job.index in wanted and job.state not in TERMINAL_JOB_STATES:
                if job.state in ACTIVE_JOB_STATES:
                    self._progress = 0.0
                self._unwait(job)
                self._finish(job, "canceled", reason)
                done += 1
        if done:
            self._trim_history()
            self.evaluate()
        return done

    def hold_job(self, job_id: int, until: str = "indefinite") -> st.Job:
        """RFC 8011 §4.3.5 Hold-Job: a job not yet printing waits until released."""
        self.tick()
        job = self.job(job_id)
        if job.state not in ("pending", "pending-held"):
            raise EngineError(f"job {job_id} is {job.state}; only pending jobs can be held")
        job.hold_until = until
        if until != "no-hold" and not _incoming(job):
            job.state = "pending-held"
            job.state_reasons = ("job-hold-until-specified",)
        elif until == "no-hold" and job.state == "pending-held" and not _incoming(job):
            self._release(job)
        self.evaluate()
        return job

    def release_job(self, job_id: int) -> st.Job:
        """RFC 8011 §4.3.6 Release-Job: a held job may print (an incoming one once closed)."""
        self.tick()
        job = self.job(job_id)
        if job.state != "pending-held" or job.hold_until == "no-hold":
            raise EngineError(f"job {job_id} is {job.state} and not held")
        job.hold_until = "no-hold"
        if not _incoming(job):
            self._release(job)
        self.evaluate()
        return job

    def restart_job(self, job_id: int, hold_until: str = "no-hold") -> st.Job:
        """RFC 8011 §4.3.7 Restart-Job: a finished job prints again from its first page."""
        self.tick()
        job = self.job(job_id)
        if job.state not in TERMINAL_JOB_STATES or job.pages == 0:
            raise EngineError(f"job {job_id} is {job.state}; only a finished job can be restarted")
        job.impressions_completed = 0
        job.sheets_completed = 0
        job.completed_ticks = 0
        job.hold_until = hold_until
        self._release(job)
        self.evaluate()
        return job

    def suspend_job(self, job_id: int) -> st.Job:
        """RFC 3998 Suspend-Current-Job: the printing job stops where it is."""
        self.tick()
        job = self.job(job_id)
        if job.state not in ACTIVE_JOB_STATES:
            raise EngineError(f"job {job_id} is {job.state}, not printing")
        self._progress = 0.0
        job.suspended = True
        job.state = "processing-stopped"
        job.state_reasons = ("job-suspended",)
        self.evaluate()
        return job

    def resume_job(self, job_id: int) -> st.Job:
        """RFC 3998 Resume-Job: a suspended job goes on where it stopped."""
        self.tick()
        job = self.job(job_id)
        if not job.suspended:
            raise EngineError(f"job {job_id} is not suspended")
        job.suspended = False
        job.state = "pending"
        job.state_reasons = ("job-resuming",)
        self.evaluate()
        return job

    def promote_job(self, job_id: int, after: int | None = None) -> st.Job:
        """RFC 3998 Promote-Job (``after`` None: print next, whatever the priorities) and
        Schedule-Job-After (print right after job ``after``)."""
        self.tick()
        job = self.job(job_id)
        if job.state not in ("pending", "pending-held"):
            raise EngineError(f"job {job_id} is {job.state}; only a pending job can be moved")
        if after is None:
            job.sequence = min((j.sequence for j in self.state.jobs), default=0.0) - 1.0
            job.sequence = min(job.sequence, -1.0)  # negative: ahead of every priority
        else:
            other = self.job(after)
            if other.state in TERMINAL_JOB_STATES or other.index == job_id:
                raise EngineError(f"job {after} is {other.state}; cannot schedule after it")
            job.priority = other.priority
            later = [j.sequence for j in self.state.jobs if j.sequence > other.sequence]
            job.sequence = (other.sequence + min(later)) / 2 if later else other.sequence + 1
        self.evaluate()
        return job

    def set_job(self, job_id: int, **values: Any) -> st.Job:
        """Set-Job-Attributes (RFC 3380): name, priority, hold_until of a job not finished."""
        self.tick()
        job = self.job(job_id)
        if job.state in TERMINAL_JOB_STATES:
            raise EngineError(f"job {job_id} is already {job.state}")
        hold = values.pop("hold_until", None)
        for name, value in values.items():
            setattr(job, name, value)
        if hold is not None:
            if hold == "no-hold" and job.hold_until != "no-hold" and job.state == "pending-held":
                self.release_job(job_id)
            elif hold != "no-hold":
                self.hold_job(job_id, hold)
        self.evaluate()
        return job

    def release_held_new_jobs(self) -> int:
        """RFC 3998 Release-Held-New-Jobs: jobs held by Hold-New-Jobs may print."""
        self.hold_new_jobs = False
        count = 0
        for job_id in sorted(self._held_new):
            job = self.find_job(job_id)
            if job is not None and job.state == "pending-held" and job.hold_until != "no-hold":
                self.release_job(job_id)
                count += 1
        self._held_new.clear()
        return count

    def copy_job(self, job_id: int, **ticket: Any) -> st.Job:
        """RFC 3998 Reprocess-Job / PWG 5100.11 Resubmit-Job: a new job with the documents of
        a finished one (``ticket`` changes its job template values)."""
        self.tick()
        old = self.job(job_id)
        if old.state not in TERMINAL_JOB_STATES or not old.doc_pages:
            raise EngineError(f"job {job_id} is {old.state}; only a finished job can be copied")
        args: dict[str, Any] = {
            "name": old.name,
            "user": old.user,
            "copies": old.copies,
            "sides": old.sides,
            "color": old.color,
            "media": old.media,
            "document_format": old.document_format,
            "priority": old.priority,
            "page_ranges": parse_ranges(old.page_ranges),
            "overrides": old.overrides,
        }
        args.update({k: v for k, v in ticket.items() if v is not None})
        job = self.create_job(**args)
        per_doc = old.document_bytes // max(len(old.doc_pages), 1)
        for n, pages in enumerate(old.doc_pages, 1):
            self.add_document(
                job.index,
                pages=max(pages, 1),
                document_format=old.document_format,
                size_bytes=per_doc,
                last=n == len(old.doc_pages),
            )
        return job

    def job(self, job_id: int) -> st.Job:
        """The job with this id, or EngineError."""
        job = self.find_job(job_id)
        if job is None:
            raise EngineNotFound(f"no job {job_id}")
        return job

    def find_job(self, job_id: int) -> st.Job | None:
        """Jobs are kept in id order, so a bisection finds one in O(log n)."""
        jobs = self.state.jobs
        i = bisect.bisect_left(jobs, job_id, key=lambda j: j.index)
        if i < len(jobs) and jobs[i].index == job_id:
            return jobs[i]
        return next((j for j in jobs if j.index == job_id), None)  # not in order (imports)

    def _release(self, job: st.Job) -> None:
        if job.hold_until != "no-hold":
            job.state = "pending-held"
            job.state_reasons = ("job-hold-until-specified",)
            return
        job.state = "pending"
        job.state_reasons = ("none",)

    def _finish(self, job: st.Job, state: str, reason: str) -> None:
        self._waiting.pop(job.index, None)
        self._done += 1
        job.suspended = False
        job.state = state
        job.state_reasons = (reason,)
        job.completed_ticks = self._ticks()
        c = self.state.counters
        if state == "completed":
            c.completed_jobs += 1
        elif state == "canceled":
            c.canceled_jobs += 1
        else:
            c.aborted_jobs += 1

    def _trim_history(self) -> None:
        """Keep the newest ``max_history`` finished jobs; one pass and one event, however
        many go (removing rows one by one was O(n²) after a mass cancel)."""
        if self._done <= self.max_history:
            return  # the count only ever over-estimates (restart), so nothing is missed
        jobs = self.state.jobs
        done = [j for j in jobs if j.state in TERMINAL_JOB_STATES]
        self._done = len(done)
        excess = len(done) - self.max_history
        if excess <= 0:
            return
        self._done = self.max_history
        if excess == 1:
            self.state.remove_row("jobs", done[0].index)
            return
        self.state.remove_rows("jobs", {j.index for j in done[:excess]})

    # =========================================================================================
    # Time
    # =========================================================================================

    def tick(self) -> None:
        """Catch the state up with the clock: print what the elapsed time allows, and abort
        jobs whose documents did not come in time."""
        now = self.clock.monotonic()
        elapsed = max(0.0, now - self._last)
        self._last = now
        self._expire_waiting(now)
        self._advance(elapsed)

    def finish_all(self) -> None:
        """Print every runnable job to the end now, whatever the clock says (for tests)."""
        self.tick()
        self._advance(None)

    async def run(self, interval: float = 0.25) -> None:
        """Real-time driver: tick every ``interval`` seconds until cancelled."""
        while True:
            try:
                self.tick()
            except Exception:  # a bug must not silently kill the printer's clock
                log.exception("behaviour tick failed for %s", self.state.description.name)
            await asyncio.sleep(interval)

    def _advance(self, seconds: float | None) -> None:
        """Print for ``seconds`` of engine time (None: until nothing can print)."""
        unlimited = seconds is None
        budget = 0.0 if seconds is None else seconds
        while True:
            job = self._next_job()
            status = self.state.status
            if job is None or not status.powered or status.paused:
                self._progress = 0.0
                break
            if job.state == "pending":
                job.state = "processing"
                job.state_reasons = ("job-printing",)
            if self._blocked(job):
                self._progress = 0.0
                break
            rate = self._rate(job)  # impressions per second
            if not unlimited:
                self._progress += budget * rate
                budget = 0.0
            total = job.pages * job.copies
            stopped = False
            while job.impressions_completed < total:
                if not unlimited and self._progress < 1.0:
                    break
                if self._blocked(job):
                    stopped = True
                    break
                self._print_impression(job)
                if not unlimited:
                    self._progress -= 1.0
            if stopped:
                self._progress = 0.0
                break
            if job.impressions_completed < total:
                break  # out of time, mid-job
            self._finish(job, "completed", "job-completed-successfully")
            if self.pause_after_job:
                self.pause_after_job = False
                status.paused = True
            if not unlimited:
                budget = self._progress / rate  # time left over goes to the next job
                self._progress = 0.0
        self.evaluate()

    def _rate(self, job: st.Job) -> float:
        d = self.state.description
        ppm = (
            d.pages_per_minute_color
            if job.color and d.pages_per_minute_color
            else d.pages_per_minute
        )
        return max(ppm, 1) * self.speed / 60.0

    def _next_job(self) -> st.Job | None:
        """The job printing, else the pending one to print next: promoted jobs first, then
        the highest job-priority (RFC 8011 §5.2.1), then submission order."""
        best = None
        for job in self.state.jobs:
            if job.state in ACTIVE_JOB_STATES and not job.suspended:
                return job
            if job.state == "pending" and (best is None or _queue_key(job) < _queue_key(best)):
                best = job
        return best

    def _current_job(self) -> st.Job | None:
        return next(
            (j for j in self.state.jobs if j.state in ACTIVE_JOB_STATES and not j.suspended), None
        )

    def _ticks(self) -> int:
        return st.uptime_ticks(self.state, self.clock.monotonic())

    # =========================================================================================
    # One impression
    # =========================================================================================

    def _print_impression(self, job: st.Job) -> None:
        s = self.state
        c = s.counters
        page = job.impressions_completed % job.pages
        duplex = job.sides != "one-sided"
        media = self.page_media(job)
        if not duplex or page % 2 == 0:
            tray = self._tray_for(job)
            assert tray is not None  # _blocked() checked
            media = tray.media or media  # a media_mismatch override prints on what is loaded
            if tray.level > 0:
                tray.level -= 1
            out = self._output_tray()
            if out is not None and out.remaining_capacity > 0:
                out.remaining_capacity -= 1
            c.total_sheets += 1
            if duplex and page + 1 < job.pages:
                c.two_sided_sheets += 1
            self._media_used(media, tray.media_type).total_sheets += 1
            job.sheets_completed += 1
            for marker in s.markers:
                if marker.counter_unit == "sheets":
                    marker.life_count += 1
                    marker.power_on_count += 1
        used = self._media_used(media, self._media_type(job))
        c.total_impressions += 1
        if job.color:
            c.color_impressions += 1
            used.color_impressions += 1
        else:
            c.mono_impressions += 1
            used.mono_impressions += 1
        for marker in s.markers:
            if marker.counter_unit != "sheets":
                marker.life_count += 1
                marker.power_on_count += 1
        for supply in s.supplies:
            if supply.per_page > 0 and supply.level > 0 and self._supply_used(supply, job.color):
                fraction = supply.consumed_fraction + supply.per_page
                whole = int(fraction)
                if whole:
                    supply.level = max(0, supply.level - whole)
                supply.consumed_fraction = round(fraction - whole, 9)
        job.impressions_completed += 1
        self.evaluate()


    def evaluate(self) -> None:
        """Bring printer state, reasons, alerts, console and job state in line with the conditions."""
        s = self.state
        status = s.status
        if not status.powered:
            self._set_console((), powered=False)
            status.state = "stopped"
            status.state_reasons = ("shutdown",)
            status.state_message = "Powered off"
            return
        conds = self.conditions()
        job = self._current_job()
        blockers = [b for b in self._job_blockers(job) if b.stops]
        stopped = status.paused or any(c.stops for c in conds) or bool(blockers)
        if job is not None:
            if stopped:
                job.state = "processing-stopped"
                job.state_reasons = ("printer-stopped",)
            else:
                job.state = "processing"
                job.state_reasons = ("job-printing",)
        self._sync_alerts(conds)
        reasons: list[str] = []
        if status.paused:
            reasons.append("paused")
        for c in sorted(blockers + conds, key=lambda c: c.priority):
            if c.reason not in reasons:
                reasons.append(c.reason)
        status.state_reasons = tuple(reasons) or ("none",)
        status.state = "stopped" if stopped else ("processing" if job is not None else "idle")
        # console: the most important stopping condition, else the activity, plus a hint line
        primary = sorted([c for c in conds if c.stops] + blockers, key=lambda c: c.priority)
        warnings = [c for c in conds if not c.stops]
        if primary:
            line1 = primary[0].message
            line2 = primary[0].hint or (primary[1].message if len(primary) > 1 else "")
        elif status.paused:
            line1, line2 = "Paused", (warnings[0].message if warnings else "")
        elif job is not None:
            line1 = "Printing..."
            line2 = job.name if not warnings else warnings[0].message
        else:
            line1, line2 = "Ready", (warnings[0].message if warnings else "")
        status.state_message = line1 if line1 != "Ready" else ""
        self._set_console(
            (line1, line2),
            powered=True,
            attention=bool(primary),
            warning=bool(warnings),
            busy=job is not None and not stopped,
        )

    def _set_console(
        self,
        lines: tuple[str, ...],
        *,
        powered: bool,
        attention: bool = False,
        warning: bool = False,
        busy: bool = False,
    ) -> None:
        for console in self.state.consoles:
            n = max(1, console.display_lines)
            text = [line[: console.display_chars] for line in lines[:n]]
            text += [""] * (n - len(text))
            console.display_buffer = tuple(text)
            for light in console.lights:
                d = light.description.lower()
                if not powered:
                    on_off = OFF
                elif any(k in d for k in ("attention", "error", "alert", "warning")):
                    on_off = BLINK if attention else (STEADY if warning else OFF)
                elif any(k in d for k in ("data", "job", "processing")):
                    on_off = BLINK if busy else OFF
                elif any(k in d for k in ("ready", "power", "online", "on line")):
                    on_off = OFF if attention else STEADY
                else:
                    continue
                light.on_time, light.off_time = on_off

    def _sync_alerts(self, conds: list[Condition]) -> None:
        s = self.state
        wanted = {c.key: c for c in conds if c.code}
        for alert in list(s.alerts):
            if (alert.group, alert.group_index, alert.code) not in wanted:
                s.remove_row("alerts", alert.index)
        have = {(a.group, a.group_index, a.code) for a in s.alerts}
        for key, c in wanted.items():
            if key in have:
                continue
            index = s.next_alert_index
            s.next_alert_index += 1
            if c.severity == "critical":
                s.critical_alert_count += 1
            s.add_row(
                "alerts",
                st.Alert(
                    index=index,
                    severity=c.severity,
                    training_level=c.training,
                    group=c.group,
                    group_index=c.group_index,
                    location=-2,
                    code=c.code,
                    description=c.message,
                    time_ticks=self._ticks(),
                ),
            )

    # =========================================================================================
    # Operator actions and faults
    # =========================================================================================

    def inject(self, fault: str, **params: Any) -> None:
        """Make a fault happen: jam, cover_open, toner_empty, tray_empty, offline, power_off, output_full."""
        self._fault(fault, True, params)

    def clear(self, fault: str, **params: Any) -> None:
        """Undo a fault the way an operator would (remove the sheet, close the cover, refill...)."""
        self._fault(fault, False, params)

    def _fault(self, fault: str, on: bool, params: dict[str, Any]) -> None:
        if fault not in FAULTS:
            raise EngineInvalid(f"unknown fault {fault!r} (faults: {', '.join(FAULTS)})")
        allowed = {
            "jam": {"tray_index"},
            "cover_open": {"cover_index"},
            "toner_empty": {"supply_index"},
            "tray_empty": {"tray_index"},
            "offline": set(),
            "power_off": set(),
            "output_full": {"tray_index"},
        }[fault]
        extra = set(params) - allowed
        if extra:
            expected = ", ".join(sorted(allowed)) or "no parameters"
            raise EngineInvalid(f"fault {fault!r} takes {expected}; got {', '.join(sorted(extra))}")
        for key, value in params.items():
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise EngineInvalid(f"{key} must be an integer, got {value!r}")
        self.tick()
        s = self.state
        if fault == "power_off":
            if on:
                self.power_off()
            else:
                self.power_on()
            return
        if fault == "jam":
            tray_index = params.get("tray_index")
            if tray_index is not None and tray_index != 0:
                self._row("input_trays", tray_index)
            if on:
                if tray_index is None:
                    job = self._current_job()
                    tray = self._tray_for(job) if job else None
                    tray_index = tray.index if tray else 0
                s.status.jam_tray = tray_index
                if not s.status.jammed:
                    s.status.jammed = True
                    s.counters.jam_count += 1
            else:
                s.status.jammed = False
                s.status.jam_tray = 0
        elif fault == "cover_open":
            cover = self._row("covers", params.get("cover_index") or 1)
            cover.status = "open" if on else "closed"
        elif fault == "toner_empty":
            index = params.get("supply_index")
            supply = self._row("supplies", index) if index else self._black_supply()
            if on:
                supply.level = 0
                supply.consumed_fraction = 0.0
            else:
                self._refill(supply)
        elif fault == "tray_empty":
            tray = self._row("input_trays", params.get("tray_index") or self._main_tray())
            if on:
                tray.level = 0
            else:
                self._load(tray, None)
        elif fault == "offline":
            s.status.offline = on
        elif fault == "output_full":
            out = self._row("output_trays", params.get("tray_index") or 1)
            out.remaining_capacity = 0 if on else out.capacity
        self.evaluate()

    def _row(self, table: str, index: int | None) -> Any:
        if index is None:
            raise EngineInvalid(f"a {table} index is needed")
        try:
            return self.state.row(table, index)
        except KeyError:
            count = len(self.state.table(table))
            raise EngineNotFound(f"no {table} row {index} (this printer has {count})") from None

    def _black_supply(self) -> st.Supply:
        for supply in self.state.supplies:
            if supply.colorant_index and self._supply_used(supply, False):
                return supply
        if not self.state.supplies:
            raise EngineError("this printer has no supplies")
        return self.state.supplies[0]

    def _main_tray(self) -> int:
        for tray in self.state.input_trays:
            if tray.tray_type != "sheetFeedManual":
                return tray.index
        return 1

    def refill(self, supply_index: int | None = None) -> None:
        """Replace one supply (or all) with a full one; empty a waste receptacle."""
        self.tick()
        supplies = (
            [self._row("supplies", supply_index)]
            if supply_index is not None
            else self.state.supplies
        )
        for supply in supplies:
            self._refill(supply)
        self.evaluate()

    def _refill(self, supply: st.Supply) -> None:
        if supply.max_capacity > 0:
            supply.level = supply.max_capacity
        supply.consumed_fraction = 0.0

    def load_paper(self, tray_index: int | None = None, sheets: int | None = None) -> None:
        """Add ``sheets`` sheets to a tray (or to every tray); None fills it to capacity."""
        self.tick()
        if sheets is not None and (
            not isinstance(sheets, int) or isinstance(sheets, bool) or sheets < 0
        ):
            raise EngineInvalid(f"sheets must be a non-negative integer, got {sheets!r}")
        trays = (
            [self._row("input_trays", tray_index)]
            if tray_index is not None
            else self.state.input_trays
        )
        for tray in trays:
            self._load(tray, sheets)
        self.evaluate()

    def _load(self, tray: st.InputTray, sheets: int | None) -> None:
        tray.present = True
        if tray.capacity <= 0:
            return
        if sheets is None or tray.level < 0:
            tray.level = tray.capacity if sheets is None else min(tray.capacity, sheets)
        else:
            tray.level = min(tray.capacity, tray.level + sheets)

    def empty_output(self, tray_index: int | None = None) -> None:
        """Take the paper out of an output bin (or all)."""
        self.tick()
        outs = (
            [self._row("output_trays", tray_index)]
            if tray_index is not None
            else self.state.output_trays
        )
        for out in outs:
            out.remaining_capacity = out.capacity
        self.evaluate()

    def pause(self) -> None:
        """Stop printing after the current impression (IPP Pause-Printer)."""
        self.tick()
        self.state.status.paused = True
        self.evaluate()

    def resume(self) -> None:
        self.tick()
        self.state.status.paused = False
        self.evaluate()

    def power_off(self) -> None:
        """Switch the device off: nothing answers, nothing prints, until :meth:`power_on`."""
        self.tick()
        self.state.status.powered = False
        self.evaluate()

    def power_on(self) -> None:
        """Switch on: a boot like :meth:`reboot` (jobs in memory are lost)."""
        self.reboot()

    def reboot(self) -> None:
        """Power cycle: boot count +1, up time from now, power-on counts reset, jobs aborted."""
        self.tick()
        s = self.state
        for job in s.jobs:
            if job.state not in TERMINAL_JOB_STATES:
                self._finish(job, "aborted", "aborted-by-system")
        self._progress = 0.0
        s.status.powered = True
        s.status.offline = False
        s.status.paused = False
        s.status.boot_count += 1
        s.status.boot_monotonic = self.clock.monotonic()
        for marker in s.markers:
            marker.power_on_count = 0
        for alert in list(s.alerts):
            s.remove_row("alerts", alert.index)
        self._last = self.clock.monotonic()
        self.evaluate()

    def factory_reset(self) -> None:
        """Restore the profile's settings (description, defaults, network, SNMP, TR-069, ...),
        keep what is physical (counters, supplies, paper, serial number), then reboot."""
        self.tick()
        fresh = self._fresh_state()
        s = self.state
        for section in (
            "defaults",
            "network",
            "snmp",
            "time",
            "email_alerts",
            "finishing",
            "print_settings",
            "management",
            "admin",
            "software",  # the modules the model ships with; installed ones are gone
        ):
            _copy_values(getattr(fresh, section), getattr(s, section), keep=("acs_url",))
        for name in ("name", "info", "location", "contact_name", "contact_email", "contact_phone"):
            setattr(s.description, name, getattr(fresh.description, name))
        s.status.factory_resets += 1
        s.status.config_changes += 1
        self.reboot()

    def _fresh_state(self) -> st.PrinterState:
        if self._factory is not None:
            return self._factory()
        from printbench.emulator.profiles import (
            build_printer,  # late: profiles builds states, not engines
        )

        host = self.state.interfaces[0].ipv4_address if self.state.interfaces else "127.1.0.1"
        return build_printer(self.state.profile, seed=self.seed, clock=self.clock, host=host)


def _copy_values(src: st.Node, dst: st.Node, keep: tuple[str, ...] = ()) -> None:
    assert dataclasses.is_dataclass(src)  # every concrete state node is one (emulator/state.py)
    for f in dataclasses.fields(src):
        name = f.name
        if name in keep and getattr(dst, name):
            continue
        value = getattr(src, name)
        if not isinstance(value, (st.Node, list)):
            setattr(dst, name, value)


def _incoming(job: st.Job) -> bool:
    return job.state == "pending-held" and "job-incoming" in job.state_reasons


def _queue_key(job: st.Job) -> tuple[bool, int, float]:
    return (job.sequence >= 0, -job.priority, job.sequence)


def impressions_and_sheets(pages: int, copies: int, sides: str) -> tuple[int, int]:
    """What a job of ``pages`` × ``copies`` costs: (impressions, sheets)."""
    per_copy = math.ceil(pages / 2) if sides != "one-sided" else pages
    return pages * copies, per_copy * copies
