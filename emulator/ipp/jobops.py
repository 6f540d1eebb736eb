"""The IPP/2.1 and IPP/2.2 operations (PWG 5100.12 §6.3/§6.4) a profile claiming IPP
Everywhere implements: job administration (RFC 8011 §4.3, RFC 3998), printer administration
(RFC 3998), documents (PWG 5100.5), Set-Job-Attributes / Get-Printer-Supported-Values
(RFC 3380). Pure: every state change goes through the behaviour engine or a state write.

Each handler is ``(Request, Context) -> Result`` like those of :mod:`operations`; they are
registered into its ``HANDLERS`` by :func:`register`. Operations not claimed by the profile
(``ipp.everywhere`` false) get server-error-operation-not-supported before reaching them.
"""

from __future__ import annotations

from typing import Any

from printbench.emulator.ipp import attributes as A
from printbench.emulator.ipp import subscriptions
from printbench.emulator.ipp.operations import (
    ATTRIBUTES_OR_VALUES,
    BAD_REQUEST,
    NAME_TAGS,
    NOT_POSSIBLE,
    NOT_SETTABLE,
    OK,
    OK_IGNORED,
    Context,
    IppError,
    Request,
    Result,
    _bulk_cancel,
    _engine_call,
    _job,
    _job_response,
    _job_ticket,
    _single,
    check_job_bounds,
)
from printbench.ipp.codec import Attribute, Group, GroupTag, StringWithLanguage, Tag

# -- jobs --------------------------------------------------------------------------------------


def _hold_value(req: Request, default: str) -> str:
    value = req.value("job-hold-until", default)
    if value not in A.HOLD_UNTIL:
        raise IppError(
            ATTRIBUTES_OR_VALUES,
            f"job-hold-until {value!r} is not supported",
            [req.op["job-hold-until"]],
        )
    return value


def hold_job(req: Request, ctx: Context) -> Result:
    """RFC 8011 §4.3.5 Hold-Job (job-hold-until defaults to indefinite)."""
    job = _job(req, ctx)
    until = _hold_value(req, "indefinite")
    if until == "no-hold":
        until = "indefinite"
    _engine_call(ctx.device.engine.hold_job, job.index, until)
    return [], OK, []


def release_job(req: Request, ctx: Context) -> Result:
    """RFC 8011 §4.3.6 Release-Job: client-error-not-possible when the job is not held."""
    job = _job(req, ctx)
    _engine_call(ctx.device.engine.release_job, job.index)
    return [], OK, []


def restart_job(req: Request, ctx: Context) -> Result:
    """RFC 8011 §4.3.7 Restart-Job: a finished job prints again (same job-id)."""
    job = _job(req, ctx)
    until = _hold_value(req, "no-hold")
    _engine_call(ctx.device.engine.restart_job, job.index, until)
    return _job_response(ctx, job, OK, [])


def _copy_job(req: Request, ctx: Context, ticket: dict[str, Any]) -> Result:
    job = _job(req, ctx)
    check_job_bounds(ctx.device.state, req.user, False)
    new = _engine_call(ctx.device.engine.copy_job, job.index, **ticket)
    return _job_response(ctx, new, OK, [])


def reprocess_job(req: Request, ctx: Context) -> Result:
    """RFC 3998 Reprocess-Job: a new job (new job-id) printing a finished job's documents."""
    return _copy_job(req, ctx, {})


def resubmit_job(req: Request, ctx: Context) -> Result:
    """PWG 5100.11 Resubmit-Job: like Reprocess-Job with new job template values."""
    ticket, unsupported = _job_ticket(req, ctx)
    if unsupported:
        raise IppError(ATTRIBUTES_OR_VALUES, "unsupported job template values", unsupported)
    args = ticket.engine_args()
    for name, default in (("copies", 1), ("priority", 50), ("hold_until", "no-hold")):
        if args[name] == default:
            args.pop(name)
    for name in ("page_ranges", "overrides"):
        if not args[name]:
            args.pop(name)
    return _copy_job(req, ctx, args)


def _current(req: Request, ctx: Context) -> Any:
    """The job named by job-id, else the one printing (RFC 3998 "current job")."""
    if "job-id" in req.op:
        return _job(req, ctx)
    job = ctx.device.engine._current_job()
    if job is None:
        raise IppError(NOT_POSSIBLE, "no job is printing")
    return job


def cancel_current_job(req: Request, ctx: Context) -> Result:
    """RFC 3998 Cancel-Current-Job."""
    job = _current(req, ctx)
    if job.state not in ("processing", "processing-stopped"):
        raise IppError(NOT_POSSIBLE, f"job {job.index} is {job.state}, not the current job")
    _engine_call(ctx.device.engine.cancel_job, job.index)
    return [], OK, []


def suspend_current_job(req: Request, ctx: Context) -> Result:
    """RFC 3998 Suspend-Current-Job: stops where it is until Resume-Job."""
    job = _current(req, ctx)
    _engine_call(ctx.device.engine.suspend_job, job.index)
    return [], OK, []


def resume_job(req: Request, ctx: Context) -> Result:
    """RFC 3998 Resume-Job."""
    job = _job(req, ctx)
    _engine_call(ctx.device.engine.resume_job, job.index)
    return [], OK, []


def promote_job(req: Request, ctx: Context) -> Result:
    """RFC 3998 Promote-Job: the job prints next."""
    job = _job(req, ctx)
    _engine_call(ctx.device.engine.promote_job, job.index)
    return [], OK, []


def schedule_job_after(req: Request, ctx: Context) -> Result:
    """RFC 3998 Schedule-Job-After: right after predecessor-job-id (or last when absent)."""
    job = _job(req, ctx)
    after = req.value("predecessor-job-id")
    engine = ctx.device.engine
    if after is None:
        queued = [j for j in ctx.device.state.jobs if j.state in ("pending", "pending-held")]
        after = max(queued, key=lambda j: j.sequence).index if queued else None
        if after is None or after == job.index:
            return [], OK, []
    if engine.find_job(after) is None:
        raise IppError(NOT_POSSIBLE, f"no job {after}", [req.op["predecessor-job-id"]])
    _engine_call(engine.promote_job, job.index, after)
    return [], OK, []


def set_job_attributes(req: Request, ctx: Context) -> Result:
    """RFC 3380 Set-Job-Attributes: job-hold-until, job-name, job-priority; all or
    nothing; other attributes get client-error-attributes-not-settable."""
    job = _job(req, ctx)
    group = req.msg.group(GroupTag.JOB)
    if group is None or not group.attributes:
        raise IppError(BAD_REQUEST, "Set-Job-Attributes needs job attributes to set")
    denied = [
        Attribute(a.name, Tag.NOT_SETTABLE, [b""])
        for a in group.attributes
        if a.name not in A.JOB_SETTABLE
    ]
    if denied:
        raise IppError(NOT_SETTABLE, "not settable: " + ", ".join(a.name for a in denied), denied)
    values: dict[str, Any] = {}
    bad = []
    for attr in group.attributes:
        v = attr.value
        if attr.name == "job-priority" and _single(attr, (Tag.INTEGER,)) and 1 <= v <= 100:
            values["priority"] = v
        elif (
            attr.name == "job-hold-until"
            and _single(attr, (Tag.KEYWORD, Tag.NAME))
            and (v in A.HOLD_UNTIL)
        ):
            values["hold_until"] = v
        elif attr.name == "job-name" and _single(attr, NAME_TAGS):
            values["name"] = (v.text if isinstance(v, StringWithLanguage) else v)[:255]
        else:
            bad.append(attr)
    if bad:
        raise IppError(ATTRIBUTES_OR_VALUES, "unsupported values", bad)
    if values.get("hold_until") not in (None, "no-hold") and job.state not in (
        "pending",
        "pending-held",
    ):
        raise IppError(NOT_POSSIBLE, f"job {job.index} is {job.state} and cannot be held")
    _engine_call(ctx.device.engine.set_job, job.index, **values)
    return [], OK, []


# -- documents (PWG 5100.5) ------------------------------------------------------------------

_DOC_STATES = {"pending": 3, "pending-held": 3, "processing": 5, "processing-stopped": 6}


def _document_number(req: Request, job: Any) -> int:
    number = req.value("document-number")
    if number is None:
        raise IppError(BAD_REQUEST, "missing document-number operation attribute")
    if not 1 <= number <= len(job.doc_pages):
        raise IppError(
            0x0406, f"job {job.index} has no document {number}", [req.op["document-number"]]
        )
    return number


def _document_attributes(ctx: Context, job: Any, number: int) -> list[Attribute]:
    pages = job.doc_pages[number - 1]
    if pages == 0:
        state, reason = 7, "document-canceled-by-user"
    elif job.state in A.TERMINAL_JOB_STATES:
        state = A.JOB_STATES[job.state]
        reason = {7: "document-canceled-by-user", 8: "document-aborted-by-system"}.get(
            state, "document-completed-successfully"
        )
    else:
        state, reason = _DOC_STATES.get(job.state, 3), "none"
    return [
        Attribute("document-number", Tag.INTEGER, [number]),
        Attribute("job-id", Tag.INTEGER, [job.index]),
        Attribute("printer-uri", Tag.URI, [ctx.printer_uri]),
        Attribute("document-state", Tag.ENUM, [state]),
        Attribute("document-state-reasons", Tag.KEYWORD, [reason]),
        Attribute("document-format", Tag.MIME_MEDIA_TYPE, [job.document_format]),
        Attribute("last-document", Tag.BOOLEAN, [number == len(job.doc_pages)]),
        Attribute("impressions", Tag.INTEGER, [pages * job.copies]),
    ]


def get_document_attributes(req: Request, ctx: Context) -> Result:
    job = _job(req, ctx)
    number = _document_number(req, job)
    attrs = _document_attributes(ctx, job, number)
    return [Group(GroupTag.DOCUMENT, attrs)], OK, []


def get_documents(req: Request, ctx: Context) -> Result:
    job = _job(req, ctx)
    groups = [
        Group(GroupTag.DOCUMENT, _document_attributes(ctx, job, n))
        for n in range(1, len(job.doc_pages) + 1)
    ]
    return groups, OK, []


def cancel_document(req: Request, ctx: Context) -> Result:
    """PWG 5100.5 Cancel-Document: a document of a job that has not started printing is
    dropped (its pages no longer print); a job left without pages completes."""
    job = _job(req, ctx)
    number = _document_number(req, job)
    if job.state not in ("pending", "pending-held") or job.doc_pages[number - 1] == 0:
        raise IppError(NOT_POSSIBLE, f"document {number} of job {job.index} cannot be canceled")
    from printbench.emulator.behaviour import parse_ranges, selected_pages

    sent = job.doc_pages[number - 1]
    job.pages -= len(selected_pages(sent, parse_ranges(job.page_ranges)))
    pages = list(job.doc_pages)
    pages[number - 1] = 0
    job.doc_pages = tuple(pages)
    if job.pages <= 0 and "job-incoming" not in job.state_reasons:
        job.pages = 0
        ctx.device.engine.cancel_job(job.index)
    return [], OK, []


def set_document_attributes(req: Request, ctx: Context) -> Result:
    """PWG 5100.5 Set-Document-Attributes: this printer has no settable document attributes
    (it advertises no document-settable-attributes-supported), so each one is refused with
    client-error-attributes-not-settable, as RFC 3380 has it for jobs."""
    job = _job(req, ctx)
    _document_number(req, job)
    group = req.msg.group(GroupTag.DOCUMENT)
    if group is None or not group.attributes:
        raise IppError(BAD_REQUEST, "Set-Document-Attributes needs document attributes")
    denied = [Attribute(a.name, Tag.NOT_SETTABLE, [b""]) for a in group.attributes]
    raise IppError(NOT_SETTABLE, "no document attribute is settable", denied)


# -- printer administration (RFC 3998, RFC 8011) ----------------------------------------------


def purge_jobs(req: Request, ctx: Context) -> Result:
    """RFC 8011 §4.2.9 Purge-Jobs: cancel every unfinished job and forget the history."""
    state = ctx.device.state
    engine = ctx.device.engine
    ids = [j.index for j in state.jobs if j.state not in A.TERMINAL_JOB_STATES]
    _bulk_cancel(ctx, ids)

    def forget() -> None:
        state.remove_rows("jobs", {j.index for j in state.jobs if j.state in A.TERMINAL_JOB_STATES})
        engine.evaluate()

    if ctx.work is None:
        forget()
    else:
        ctx.work.append(forget)
    return [], OK, []


def _accepting(ctx: Context, on: bool) -> None:
    status = ctx.device.state.status
    if status.is_accepting_jobs != on:
        status.is_accepting_jobs = on
        status.config_changes += 1


def enable_printer(req: Request, ctx: Context) -> Result:
    """RFC 3998 Enable-Printer: printer-is-accepting-jobs true."""
    _accepting(ctx, True)
    return [], OK, []


def disable_printer(req: Request, ctx: Context) -> Result:
    """RFC 3998 Disable-Printer: new jobs get server-error-not-accepting-jobs."""
    _accepting(ctx, False)
    return [], OK, []


def pause_after_current(req: Request, ctx: Context) -> Result:
    """RFC 3998 Pause-Printer-After-Current-Job: pause now if idle, else after this job."""
    engine = ctx.device.engine
    if engine._current_job() is None:
        engine.pause()
    else:
        engine.pause_after_job = True
    return [], OK, []


def hold_new_jobs(req: Request, ctx: Context) -> Result:
    """RFC 3998 Hold-New-Jobs: jobs created from now on wait (job-hold-until indefinite)."""
    ctx.device.engine.hold_new_jobs = True
    return [], OK, []


def release_held_new_jobs(req: Request, ctx: Context) -> Result:
    """RFC 3998 Release-Held-New-Jobs."""
    ctx.device.engine.release_held_new_jobs()
    return [], OK, []


def restart_printer(req: Request, ctx: Context) -> Result:
    """RFC 3998 Restart-Printer: a power cycle (unfinished jobs are aborted, up-time anew)."""
    ctx.device.engine.reboot()
    return [], OK, []


def shutdown_printer(req: Request, ctx: Context) -> Result:
    """RFC 3998 Shutdown-Printer: stop printing and accepting jobs. The network face stays
    up, so Startup-Printer can reach it (this bench does not model the power switch here:
    the control API's power_off does that)."""
    _accepting(ctx, False)
    ctx.device.engine.pause()
    return [], OK, []


def startup_printer(req: Request, ctx: Context) -> Result:
    """RFC 3998 Startup-Printer: accept and print again."""
    _accepting(ctx, True)
    ctx.device.engine.resume()
    return [], OK, []


def get_printer_supported_values(req: Request, ctx: Context) -> Result:
    """RFC 3380 Get-Printer-Supported-Values: for each settable printer attribute the
    values Set-Printer-Attributes accepts (the matching -supported values)."""
    view = ctx.view()
    wanted = req.values("requested-attributes") or list(A.SETTABLE)
    out = []
    for name in wanted:
        if name not in A.SETTABLE:
            continue
        supported = A.ALL_PRINTER.get(name.removesuffix("-default") + "-supported")
        if supported is None:
            continue
        attr = supported(view)
        if attr is not None:
            out.append(Attribute(name, attr.tag, list(attr.values), attr.value_tags))
    status = OK if out or not req.values("requested-attributes") else OK_IGNORED
    return [Group(GroupTag.PRINTER, out)], status, []


def register(handlers: dict[int, Any]) -> None:
    """Add this module's handlers (and the subscription ones) to ``operations.HANDLERS``."""
    handlers.update(
        {
            0x000C: hold_job,
            0x000D: release_job,
            0x000E: restart_job,
            0x0012: purge_jobs,
            0x0014: set_job_attributes,
            0x0015: get_printer_supported_values,
            0x0022: enable_printer,
            0x0023: disable_printer,
            0x0024: pause_after_current,
            0x0025: hold_new_jobs,
            0x0026: release_held_new_jobs,
            0x0029: restart_printer,
            0x002A: shutdown_printer,
            0x002B: startup_printer,
            0x002C: reprocess_job,
            0x002D: cancel_current_job,
            0x002E: suspend_current_job,
            0x002F: resume_job,
            0x0030: promote_job,
            0x0031: schedule_job_after,
            0x0033: cancel_document,
            0x0034: get_document_attributes,
            0x0035: get_documents,
            0x0037: set_document_attributes,
            0x003A: resubmit_job,
        }
    )
    handlers.update(subscriptions.HANDLERS)
