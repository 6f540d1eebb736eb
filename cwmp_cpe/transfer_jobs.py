"""The transfer jobs of one CPE: Download, Upload, the queue and its RPCs, TransferComplete.

A feature module (``cwmp_cpe.extensions``). An accepted Download or Upload is a
:class:`~cwmp_cpe.transfers.TransferJob` answered with Status 1 and run as its own task
(DelaySeconds on the injected clock). The job list is the persisted section ``jobs``, so a
transfer accepted before a restart still happens (TR-069 A.3.2.8: a CPE that accepted a
Download with Status 1 MUST send a TransferComplete). The outcome becomes a
:class:`~cwmp.events.TransferRecord` in ``cpe.transfers`` and the events
``7 TRANSFER COMPLETE`` + ``M Download``/``M Upload``; the record is sent as TransferComplete
in the session that started the transfer if it is still open (A.3.3.2), else in every
later session until the ACS acknowledges it (this module's outbox provider).

GetQueuedTransfers, GetAllQueuedTransfers and CancelTransfer (A.4.1.5, A.4.1.7, A.4.1.10)
answer from the same list. The device's :class:`~cwmp_cpe.transfers.DeviceHooks` say which
FileTypes it takes and what a file means.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from printbench.cwmp import events as E
from printbench.cwmp import faults, soap
from printbench.cwmp import messages as m
from printbench.cwmp_cpe import time_windows as TW
from printbench.cwmp_cpe.device_rpcs import command_key_fault
from printbench.cwmp_cpe.extensions import OutboundRequest
from printbench.cwmp_cpe.http import TransferError, fetch, send
from printbench.cwmp_cpe.persistence import StateSection, TimeBase, iso, parse_iso
from printbench.cwmp_cpe.time_windows import Window
from printbench.cwmp_cpe.transfers import (
    COMPLETED,
    IN_PROGRESS,
    NOT_STARTED,
    TransferJob,
    TransferOutcome,
)

if TYPE_CHECKING:
    from printbench.cwmp_cpe.runtime import Cpe

log = logging.getLogger(__name__)

#: Jobs queued at once before Download answers 9004 (a device's limit; TR-069 leaves it open).
MAX_QUEUED = 16


def transfer_complete(rec: E.TransferRecord, namespace: str) -> m.TransferComplete:
    """The TransferComplete for ``rec`` in a session of ``namespace``.

    The record keeps the specific fault; the code sent is one ``namespace``'s schema allows
    (cwmp-1-0 knows only the general 9010/9011), mapped at send time because a record may
    outlive a version change (8006 lowers the offer).
    """
    code, text = faults.transfer_complete_fault(
        rec.fault_code, rec.fault_string, namespace, is_download=rec.is_download
    )
    return m.TransferComplete(
        command_key=rec.command_key,
        fault_struct=m.FaultStruct(code, text),
        start_time=soap.parse_datetime(rec.start_time),
        complete_time=soap.parse_datetime(rec.complete_time),
    )


def job_state(job: TransferJob, base: TimeBase) -> dict[str, Any]:
    """An accepted transfer as stored. The credentials are stored with it: the transfer must
    still be possible after a restart, as TR-069 A.3.2.8 wants it completed."""
    due = job.due if job.due is not None else base.mono
    return {
        "command_key": job.command_key,
        "is_download": job.is_download,
        "file_type": job.file_type,
        "url": job.url,
        "username": job.username,
        "password": job.password,
        "file_size": job.file_size,
        "target_file_name": job.target_file_name,
        "delay_seconds": job.delay_seconds,
        "due": base.to_wall(due),
        "state": job.state,
        "start_time": iso(job.start_time) if job.start_time else None,
        "windows": [[w.start, w.end, w.mode, w.user_message, w.max_retries] for w in job.windows],
        "received": base.to_wall(job.received) if job.received is not None else None,
    }


def job_from_state(d: dict[str, Any], base: TimeBase) -> TransferJob:
    job = TransferJob(
        str(d["command_key"]),
        bool(d["is_download"]),
        str(d["file_type"]),
        str(d["url"]),
        str(d.get("username", "")),
        str(d.get("password", "")),
        int(d.get("file_size", 0)),
        str(d.get("target_file_name", "")),
        int(d.get("delay_seconds", 0)),
    )
    job.state = int(d.get("state", NOT_STARTED))
    job.due = base.to_mono(str(d["due"]))
    if d.get("start_time"):
        job.start_time = parse_iso(str(d["start_time"]))
    job.windows = tuple(
        Window(int(a), int(b), str(mode), str(msg), int(r))
        for a, b, mode, msg, r in d.get("windows") or []
    )
    if d.get("received"):
        # the windows count from the request; a past time keeps its distance from now
        job.received = base.mono - (base.wall - parse_iso(str(d["received"]))).total_seconds()
    return job


class TransferJobs:
    """Download/Upload jobs of one Cpe and their RPCs."""

    name = "transfers"

    def __init__(self, cpe: Cpe) -> None:
        self.cpe = cpe
        self.jobs: list[TransferJob] = []
        self._restored: list[TransferJob] = []
        hooks = cpe.hooks
        if hooks is not None and hasattr(hooks, "accept_download"):
            cpe.register(m.Download, self.download)
            cpe.register(m.ScheduleDownload, self.schedule_download)
        if hooks is not None and hasattr(hooks, "upload_content"):
            cpe.register(m.Upload, self.upload)
        if hooks is not None and (
            hasattr(hooks, "accept_download") or hasattr(hooks, "upload_content")
        ):
            cpe.register(m.GetQueuedTransfers, self.get_queued_transfers)
            cpe.register(m.GetAllQueuedTransfers, self.get_all_queued_transfers)
            cpe.register(m.CancelTransfer, self.cancel_transfer)
        cpe.persist(StateSection("jobs", self._dump, self._load))
        cpe.add_outbox(self._pending_records)
        cpe.on_boot(lambda: self.interrupt("a reboot of the device"))

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Transfers accepted before the process stopped (restored from the store): those
        still waiting out DelaySeconds go on waiting; those that were at work cannot resume
        and fail (reported with TransferComplete, as :meth:`interrupt`)."""
        jobs, self._restored = self._restored, []
        for job in jobs:
            if any(j.command_key == job.command_key for j in self.jobs):
                continue
            self.jobs.append(job)
            if job.state == NOT_STARTED:
                job.task = asyncio.create_task(self.run(job), name=f"transfer {job.command_key}")
            else:
                code = 9010 if job.is_download else 9011
                self.finish(job, TransferError(code, "transfer interrupted by a restart"))

    def forget_stopped(self) -> None:
        """After a stop() the store, not the stopped tasks, says which transfers are pending."""
        self.jobs = [j for j in self.jobs if j.task is not None and not j.task.done()]

    def cancel_tasks(self) -> None:
        for job in self.jobs:
            if job.task is not None:
                job.task.cancel()

    async def stop(self) -> None:
        self.cancel_tasks()
        for job in self.jobs:
            if job.task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await job.task

    def interrupt(self, why: str) -> None:
        """A transfer at work when the device restarts cannot finish: it fails, and is
        reported like any failed transfer (TransferComplete with a fault, 7 TRANSFER
        COMPLETE + M Download/M Upload; TR-069 A.3.2.8). Transfers still waiting out
        DelaySeconds are not touched: their due time survives the reboot (and the store)."""
        for job in list(self.jobs):
            if job.state != IN_PROGRESS or job.task is None or job.task.done():
                continue
            job.task.cancel()
            code = 9010 if job.is_download else 9011
            self.finish(job, TransferError(code, f"transfer interrupted by {why}"))

    # -- persisted state ----------------------------------------------------------------------

    def _dump(self, base: TimeBase) -> Any:
        return [job_state(j, base) for j in self.jobs if j.state != COMPLETED]

    def _load(self, value: Any, base: TimeBase) -> None:
        self._restored = [job_from_state(j, base) for j in value]

    # -- TransferComplete ---------------------------------------------------------------------

    def _outbound(self, rec: E.TransferRecord, namespace: str) -> OutboundRequest:
        key = rec.command_key
        return OutboundRequest(
            transfer_complete(rec, namespace),
            on_response=lambda _r: self._acknowledged(key),
            fault_fails_session=True,
        )

    def _pending_records(self, namespace: str) -> Iterable[OutboundRequest]:
        return [
            self._outbound(rec, namespace)
            for rec in self.cpe.transfers.pending()
            if rec.kind == "transfer"
        ]

    def _acknowledged(self, command_key: str) -> None:
        cpe = self.cpe
        cpe.transfers.acknowledge(command_key)
        cpe.queue.on_transfer_complete_response(command_key)
        cpe.save()

    # -- handlers -----------------------------------------------------------------------------

    def unsupported_file_type(self, file_type: str, direction: str) -> m.Fault | None:
        """Fault 9003 for a FileType the device's hooks do not take in ``direction``
        (``download``/``upload``: their ``download_types``/``upload_types``), else None."""
        types = tuple(getattr(self.cpe.hooks, f"{direction}_types", ()))
        if file_type in types:
            return None
        return m.Fault(9003, f"FileType {file_type!r} is not supported ({', '.join(types)})")

    def download(self, req: m.Download) -> m.Message:
        refused = self.unsupported_file_type(req.file_type, "download")
        if refused is not None:
            return refused
        return self.queue_job(
            TransferJob(
                req.command_key,
                True,
                req.file_type,
                req.url,
                req.username,
                req.password,
                req.file_size,
                req.target_file_name,
                req.delay_seconds,
            ),
            m.DownloadResponse,
        )

    def upload(self, req: m.Upload) -> m.Message:
        refused = self.unsupported_file_type(req.file_type, "upload")
        if refused is not None:
            return refused
        return self.queue_job(
            TransferJob(
                req.command_key,
                False,
                req.file_type,
                req.url,
                req.username,
                req.password,
                delay_seconds=req.delay_seconds,
            ),
            m.UploadResponse,
        )

    def schedule_download(self, req: m.ScheduleDownload) -> m.Message:
        """TR-069 A.4.1.8: a download within up to two time windows (``time_windows``)."""
        refused = self.unsupported_file_type(req.file_type, "download")
        if refused is not None:
            return refused
        windows = tuple(
            Window(w.window_start, w.window_end, w.window_mode, w.user_message, w.max_retries)
            for w in req.time_window_list
        )
        why = TW.check_windows(windows)
        if why is not None:
            return m.Fault(9003, why)
        job = TransferJob(
            req.command_key,
            True,
            req.file_type,
            req.url,
            req.username,
            req.password,
            req.file_size,
            req.target_file_name,
            windows=windows,
        )
        job.received = self.cpe.clock.monotonic()
        if "schedule-download-ignores-window" in self.cpe.quirks:
            job.windows = (dataclasses.replace(windows[0], start=0), *windows[1:])
        job.delay_seconds = job.windows[0].start
        return self.queue_job(job, m.ScheduleDownloadResponse)

    def confirm(self, command_key: str, accept: bool = True) -> bool:
        """The user's answer to a "4 Confirmation Needed" window (panel, EWS, control API);
        False when no such scheduled download waits."""
        for job in self.queued():
            if job.command_key == command_key and job.windows:
                job.confirmed = accept
                return True
        return False

    def check_job(self, job: TransferJob) -> m.Fault | None:
        """The faults a transfer request gets before it is queued."""
        bad = command_key_fault(job.command_key)
        if bad is not None:
            return bad
        if not job.url:
            return m.Fault(9003, "URL is empty")
        scheme = job.url.split(":", 1)[0].lower()
        if scheme not in ("http", "https"):
            return m.Fault(9013, f"unsupported protocol {scheme!r}")
        if len(self.queued()) >= MAX_QUEUED:
            return m.Fault(9004, "too many queued transfers")
        return None

    def queue_job(self, job: TransferJob, response: type) -> m.Message:
        bad = self.check_job(job)
        if bad is not None:
            return bad
        cpe = self.cpe
        self.jobs.append(job)
        job.origin = cpe.session
        job.due = cpe.clock.monotonic() + job.delay_seconds
        cpe.save()  # an accepted transfer must survive a restart (TR-069 A.3.2.8)
        job.task = asyncio.create_task(self.run(job), name=f"transfer {job.command_key}")
        return response() if job.windows else response(status=1)

    async def run(self, job: TransferJob) -> None:
        if job.windows:
            await self._run_windows(job)
            return
        cpe = self.cpe
        clock = cpe.clock
        due = job.due if job.due is not None else clock.monotonic() + job.delay_seconds
        if due > clock.monotonic():
            await cpe.sleep(due - clock.monotonic())
        with cpe.busy():
            outcome, fault = await self._attempt(job)
            self._complete(job, outcome, fault)

    async def _attempt(
        self, job: TransferJob
    ) -> tuple[TransferOutcome | None, TransferError | None]:
        """One try at ``job``: (outcome, None) or (None, the TransferComplete fault)."""
        cpe = self.cpe
        job.state = IN_PROGRESS
        job.start_time = cpe.clock.now()
        cpe.save()
        try:
            return await self._transfer(job), None
        except TransferError as exc:
            fault = exc
        except asyncio.CancelledError:
            # Stopped (process exit: the job stays IN_PROGRESS in the store and fails at the
            # next start), interrupted by a reboot (already reported) or cancelled by
            # CancelTransfer (already removed). Never silently marked done here.
            raise
        except Exception as exc:
            log.exception("%s: transfer %s failed", cpe.name, job.command_key)
            fault = TransferError(9002, f"internal error: {exc}")
        # Codes no TransferComplete may carry (9013, 9003, ...) become the general one now;
        # what an older namespace lacks is mapped when the record is sent.
        code, text = faults.transfer_complete_fault(
            fault.code, fault.message, m.CWMP_1_2, is_download=job.is_download
        )
        return None, TransferError(code, text)

    def _complete(
        self, job: TransferJob, outcome: TransferOutcome | None, fault: TransferError | None
    ) -> None:
        """Apply a successful download (after the session when it reboots) and report."""
        cpe = self.cpe
        if fault is None and outcome is not None and outcome.activate is not None:
            if outcome.reboot:
                activate = outcome.activate

                def do() -> None:
                    boots = cpe.boot_count
                    activate()
                    if cpe.boot_count == boots:
                        cpe.device_booted()
                    self.finish(job, None)

                cpe.after_session(do)
                return
            outcome.activate()
        self.finish(job, fault)

    async def _run_windows(self, job: TransferJob) -> None:
        """A ScheduleDownload: try inside each window in turn (``time_windows``)."""
        cpe = self.cpe
        clock = cpe.clock
        received = job.received if job.received is not None else clock.monotonic()
        last: TransferError | None = None
        for window in job.windows:
            opens, closes = received + window.start, received + window.end
            if clock.monotonic() > closes:
                continue
            if opens > clock.monotonic():
                await cpe.sleep(opens - clock.monotonic())
            retries = window.retries()
            attempts = 0
            while clock.monotonic() <= closes:
                if job.confirmed is False:
                    self.finish(job, TransferError(TW.NO_WINDOW_FAULT, "declined by the user"))
                    return
                idle = bool(getattr(cpe.hooks, "device_idle", lambda: True)())
                if TW.may_start(window, idle=idle, confirmed=job.confirmed is True):
                    with cpe.busy():
                        outcome, fault = await self._attempt(job)
                        if fault is None:
                            self._complete(job, outcome, None)
                            return
                    last = fault
                    job.state = NOT_STARTED  # between attempts: still cancellable
                    cpe.save()
                    attempts += 1
                    if attempts > retries:
                        break
                await cpe.sleep(TW.RETRY_PAUSE)
        self.finish(
            job,
            last
            or TransferError(
                TW.NO_WINDOW_FAULT, "unable to complete the download within the time windows"
            ),
        )

    async def _transfer(self, job: TransferJob) -> TransferOutcome | None:
        """Move the bytes of ``job``; a download's outcome says how to apply the file."""
        cpe = self.cpe
        config = cpe.config
        if not job.is_download:
            content, ctype = await cpe.hooks.upload_content(job)
            await send(
                job.url,
                content,
                job.username,
                job.password,
                method=config.upload_method,
                content_type=ctype,
                ssl_ctx=cpe.ssl,
                timeout=config.transfer_timeout,
            )
            return None
        if job.file_size and job.file_size > config.max_download_size:
            raise TransferError(
                9010,
                f"FileSize {job.file_size} is over the {config.max_download_size}"
                " bytes this device takes",
            )
        got = await fetch(
            job.url,
            job.username,
            job.password,
            ssl_ctx=cpe.ssl,
            timeout=config.transfer_timeout,
            max_size=config.max_download_size,
            directory=config.download_dir,
        )
        try:
            log.info("%s: downloaded %s: %d bytes, SHA-256 %s",
                     cpe.name, job.url, got.size, got.sha256)  # fmt: skip
            if job.file_size and got.size != job.file_size:
                raise TransferError(
                    9018, f"file is {got.size} bytes, FileSize said {job.file_size}"
                )
            outcome: TransferOutcome = await cpe.hooks.accept_download(job, got)
            return outcome
        finally:
            got.path.unlink(missing_ok=True)

    def finish(self, job: TransferJob, fault: TransferError | None) -> None:
        """``job`` is over: record its TransferComplete and queue its events."""
        cpe = self.cpe
        job.state = COMPLETED
        with contextlib.suppress(ValueError):
            self.jobs.remove(job)
        if "no-transfer-complete" in cpe.quirks:
            return
        now = cpe.clock.now()
        rec = E.TransferRecord(
            command_key=job.command_key,
            start_time=iso(job.start_time or now),
            complete_time=iso(now),
            fault_code=fault.code if fault else 0,
            fault_string=(fault.message[:256] if fault else ""),
            is_download=job.is_download,
        )
        cpe.transfers.add(rec)
        cpe.queue.add("7 TRANSFER COMPLETE")
        cpe.queue.add(self.completion_event(job), job.command_key)
        cpe.note_new_event()
        session = cpe.session
        if session is not None and session is job.origin:
            # The session that started the transfer, still before our empty POST (or the
            # ACS holds our requests): TR-069 A.3.3.2 "later in the same session in which
            # the transfer was initiated". A transfer from an earlier session that ends
            # during this one waits for a new session whose Inform carries 7 TRANSFER
            # COMPLETE and its M Download (this Inform was built without them).
            cpe.send_request(self._outbound(rec, session.namespace))
        cpe.save()
        cpe.emit("transfer", rec)
        cpe.wake()

    @staticmethod
    def completion_event(job: TransferJob) -> str:
        """The M event a finished job is reported with (TR-069 A.3.3.1 Table 7)."""
        if job.windows:
            return "M ScheduleDownload"
        return "M Download" if job.is_download else "M Upload"

    # -- the queue ----------------------------------------------------------------------------

    def queued(self) -> list[TransferJob]:
        return [j for j in self.jobs if j.state != COMPLETED]

    def get_queued_transfers(self, req: m.Message) -> m.Message:
        return m.GetQueuedTransfersResponse(
            tuple(m.QueuedTransferStruct(j.command_key, j.state) for j in self.queued())
        )

    def get_all_queued_transfers(self, req: m.Message) -> m.Message:
        return m.GetAllQueuedTransfersResponse(
            tuple(
                m.AllQueuedTransferStruct(
                    command_key=j.command_key,
                    state=j.state,
                    is_download=j.is_download,
                    file_type=j.file_type,
                    file_size=j.file_size,
                    target_file_name=j.target_file_name,
                )
                for j in self.queued()
            )
        )

    def cancel_transfer(self, req: m.CancelTransfer) -> m.Message:
        jobs = [j for j in self.queued() if j.command_key == req.command_key]
        if not jobs:
            return m.Fault(9003, f"no queued transfer with CommandKey {req.command_key!r}")
        if any(j.state != NOT_STARTED for j in jobs):
            return m.Fault.of(9021)
        for j in jobs:
            if j.task is not None:
                j.task.cancel()
            j.state = COMPLETED
            self.jobs.remove(j)
        self.cpe.save()  # a cancelled transfer must not come back after a restart
        return m.CancelTransferResponse()
