"""IPP event notifications pulled with ippget (RFC 3995, RFC 3996). Pure: no I/O.

A printer's subscriptions live in a :class:`Subscriptions` object hung off its state (a
``WeakKeyDictionary``, as the attribute cache is), created by the first
Create-Printer-Subscriptions or Create-Job-Subscriptions. It listens to the state's change
events and turns them into IPP events (printer-state-changed, printer-config-changed,
job-created, job-state-changed, job-completed, job-progress) queued per subscription.

Bounds (every one a peer could grow): at most :data:`MAX_SUBSCRIPTIONS` per printer
(client-error-too-many-subscriptions, RFC 3995), :data:`A.NOTIFY_MAX_EVENTS` events
kept per subscription, events older than ``ippget-event-life`` dropped (RFC 3996),
leases expire (RFC 3995; lease 0 means "as long as the printer allows": one day here).
"""

from __future__ import annotations

import weakref
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from printbench.emulator.ipp import attributes as A
from printbench.emulator.ipp.operations import (
    BAD_REQUEST,
    NOT_FOUND,
    OK,
    TOO_MANY_SUBSCRIPTIONS,
    Context,
    IppError,
    Request,
    Result,
    _job,
)
from printbench.ipp.codec import Attribute, Group, GroupTag, Tag

MAX_SUBSCRIPTIONS = 100
MAX_LEASE = 86400  # s: the longest lease granted (and the grant for lease 0)
GET_INTERVAL = 30  # s: notify-get-interval, when the client should ask again
IGNORED_ALL = 0x0414  # RFC 3995 client-error-ignored-all-subscriptions
URI_SCHEME_NOT_SUPPORTED = 0x040C  # RFC 8011 client-error-uri-scheme-not-supported
_JOB_EVENTS = ("job-completed", "job-created", "job-progress", "job-state-changed")


@dataclass
class Event:
    sequence: int
    name: str
    at: float  # clock.monotonic()
    job_id: int | None


@dataclass
class Subscription:
    id: int
    user: str
    events: tuple[str, ...]
    job_id: int | None
    expires: float
    lease: int
    time_interval: int
    sequence: int = 0  # last sequence number given
    queue: deque[Event] = field(default_factory=lambda: deque(maxlen=A.NOTIFY_MAX_EVENTS))


class Subscriptions:
    """One printer's subscriptions and their event queues."""

    def __init__(self, device: Any) -> None:
        self.clock = device.clock
        self.subs: dict[int, Subscription] = {}
        self.next_id = 1
        self._jobs = device.state.jobs
        device.state.subscribe(self._changed)

    # -- events ------------------------------------------------------------------------------

    def _changed(self, event: Any) -> None:
        if not self.subs:
            return
        path: str = event.path
        if path in ("status.state", "status.state_reasons"):
            self._post("printer-state-changed", None)
        elif path == "status.config_changes":
            self._post("printer-config-changed", None)
        elif path == "jobs":
            if isinstance(event.new, int) and isinstance(event.old, int) and event.new > event.old:
                self._post("job-created", self._jobs[-1].index if self._jobs else None)
        elif path.startswith("jobs.") and path.endswith((".state", ".impressions_completed")):
            job_id = int(path.split(".")[1])
            if path.endswith(".state"):
                self._post("job-state-changed", job_id)
                if event.new in A.TERMINAL_JOB_STATES:
                    self._post("job-completed", job_id)
            else:
                self._post("job-progress", job_id)

    def _post(self, name: str, job_id: int | None) -> None:
        now = self.clock.monotonic()
        for sub in self.subs.values():
            if name not in sub.events:
                continue
            if sub.job_id is not None and sub.job_id != job_id:
                continue
            sub.sequence += 1
            sub.queue.append(Event(sub.sequence, name, now, job_id))

    def expire(self) -> None:
        """Drop subscriptions past their lease and events past ippget-event-life."""
        now = self.clock.monotonic()
        for sid in [s.id for s in self.subs.values() if s.expires <= now]:
            del self.subs[sid]
        for sub in self.subs.values():
            while sub.queue and sub.queue[0].at < now - A.IPPGET_EVENT_LIFE:
                sub.queue.popleft()

    def lease(self, requested: int | None) -> tuple[int, float]:
        seconds = MAX_LEASE if not requested or requested > MAX_LEASE else requested
        return seconds, self.clock.monotonic() + seconds


_REGISTRY: weakref.WeakKeyDictionary[Any, Subscriptions] = weakref.WeakKeyDictionary()


def of(device: Any) -> Subscriptions:
    subs = _REGISTRY.get(device.state)
    if subs is None:
        subs = _REGISTRY[device.state] = Subscriptions(device)
    subs.expire()
    return subs


# -- operations --------------------------------------------------------------------------------


def _one(group: Group, name: str) -> Any:
    attr = next((a for a in group.attributes if a.name == name), None)
    return None if attr is None else attr


def _create(req: Request, ctx: Context, job_id: int | None) -> Result:
    """RFC 3995: one subscription per subscription-attributes group."""
    groups = req.msg.groups_of(GroupTag.SUBSCRIPTION)
    if not groups:
        raise IppError(BAD_REQUEST, "no subscription-attributes group")
    subs = of(ctx.device)
    out: list[Group] = []
    made = 0
    for g in groups:
        result = Group(GroupTag.SUBSCRIPTION)
        status = _create_one(subs, g, req.user, job_id)
        if isinstance(status, Subscription):
            result.add("notify-subscription-id", Tag.INTEGER, status.id)
            made += 1
        else:
            result.add("notify-status-code", Tag.ENUM, status)
        out.append(result)
    return out, OK if made else IGNORED_ALL, []


def _create_one(subs: Subscriptions, g: Group, user: str, job_id: int | None) -> Any:
    pull = _one(g, "notify-pull-method")
    if _one(g, "notify-recipient-uri") is not None:
        return URI_SCHEME_NOT_SUPPORTED  # push methods (RFC 3995) are not offered
    if pull is None or pull.values != ["ippget"]:
        return 0x040B  # client-error-attributes-or-values-not-supported
    events_attr = _one(g, "notify-events")
    events = tuple(events_attr.values) if events_attr is not None else ("job-completed",)
    if any(e not in A.NOTIFY_EVENTS for e in events) or (
        job_id is not None and not any(e in _JOB_EVENTS for e in events)
    ):
        return 0x040B
    if len(subs.subs) >= MAX_SUBSCRIPTIONS:
        return TOO_MANY_SUBSCRIPTIONS
    lease_attr = _one(g, "notify-lease-duration")
    requested = (
        lease_attr.value if lease_attr is not None and lease_attr.tag == Tag.INTEGER else None
    )
    lease, expires = subs.lease(None if job_id is not None else requested)
    interval_attr = _one(g, "notify-time-interval")
    interval = (
        interval_attr.value if interval_attr is not None and interval_attr.tag == Tag.INTEGER else 0
    )
    sub = Subscription(subs.next_id, user, events, job_id, expires, lease, max(0, interval))
    subs.next_id += 1
    subs.subs[sub.id] = sub
    return sub


def create_printer_subscriptions(req: Request, ctx: Context) -> Result:
    return _create(req, ctx, None)


def create_job_subscriptions(req: Request, ctx: Context) -> Result:
    """RFC 3995: the job is named by notify-job-id in each group (or job-id)."""
    groups = req.msg.groups_of(GroupTag.SUBSCRIPTION)
    job_attr = next((_one(g, "notify-job-id") for g in groups if _one(g, "notify-job-id")), None)
    if job_attr is None and "job-id" not in req.op:
        raise IppError(BAD_REQUEST, "Create-Job-Subscriptions needs notify-job-id")
    if job_attr is not None:
        req.op["job-id"] = Attribute("job-id", Tag.INTEGER, [job_attr.value])
    job = _job(req, ctx)
    return _create(req, ctx, job.index)


def _sub(req: Request, ctx: Context) -> Subscription:
    sid = req.value("notify-subscription-id")
    if sid is None:
        raise IppError(BAD_REQUEST, "missing notify-subscription-id")
    sub = of(ctx.device).subs.get(sid)
    if sub is None:
        raise IppError(NOT_FOUND, f"no subscription {sid}", [req.op["notify-subscription-id"]])
    return sub


def _sub_attributes(ctx: Context, sub: Subscription) -> list[Attribute]:
    left = max(0, int(sub.expires - ctx.device.clock.monotonic()))
    attrs = [
        Attribute("notify-subscription-id", Tag.INTEGER, [sub.id]),
        Attribute("notify-events", Tag.KEYWORD, list(sub.events)),
        Attribute("notify-pull-method", Tag.KEYWORD, ["ippget"]),
        Attribute("notify-lease-duration", Tag.INTEGER, [0 if sub.job_id else left]),
        Attribute("notify-time-interval", Tag.INTEGER, [sub.time_interval]),
        Attribute("notify-subscriber-user-name", Tag.NAME, [sub.user[:255]]),
        Attribute("notify-printer-uri", Tag.URI, [ctx.printer_uri]),
        Attribute("notify-sequence-number", Tag.INTEGER, [sub.sequence]),
    ]
    if sub.job_id is not None:
        attrs.append(Attribute("notify-job-id", Tag.INTEGER, [sub.job_id]))
    return attrs


def get_subscription_attributes(req: Request, ctx: Context) -> Result:
    sub = _sub(req, ctx)
    return [Group(GroupTag.SUBSCRIPTION, _sub_attributes(ctx, sub))], OK, []


def get_subscriptions(req: Request, ctx: Context) -> Result:
    """RFC 3995: optionally by notify-job-id, my-subscriptions, limit."""
    subs = list(of(ctx.device).subs.values())
    job_id = req.value("notify-job-id")
    subs = [s for s in subs if s.job_id == job_id]
    if req.value("my-subscriptions", False):
        subs = [s for s in subs if s.user == req.user]
    limit = req.value("limit")
    if isinstance(limit, int) and limit > 0:
        subs = subs[:limit]
    return [Group(GroupTag.SUBSCRIPTION, _sub_attributes(ctx, s)) for s in subs], OK, []


def renew_subscription(req: Request, ctx: Context) -> Result:
    sub = _sub(req, ctx)
    if sub.job_id is not None:
        raise IppError(0x0404, "a job subscription lasts as long as its job (RFC 3995)")
    sub.lease, sub.expires = of(ctx.device).lease(req.value("notify-lease-duration"))
    return (
        [
            Group(
                GroupTag.SUBSCRIPTION,
                [Attribute("notify-lease-duration", Tag.INTEGER, [sub.lease])],
            )
        ],
        OK,
        [],
    )


def cancel_subscription(req: Request, ctx: Context) -> Result:
    sub = _sub(req, ctx)
    del of(ctx.device).subs[sub.id]
    return [], OK, []


def get_notifications(req: Request, ctx: Context) -> Result:
    """RFC 3996 Get-Notifications: the queued events from the sequence numbers asked
    for; notify-wait is answered at once with notify-get-interval (no held connection)."""
    ids = req.values("notify-subscription-ids")
    if not ids:
        raise IppError(BAD_REQUEST, "missing notify-subscription-ids")
    seqs = req.values("notify-sequence-numbers") or []
    subs = of(ctx.device)
    view = ctx.view()
    groups = [
        Group(GroupTag.OPERATION, [Attribute("notify-get-interval", Tag.INTEGER, [GET_INTERVAL])])
    ]
    for n, sid in enumerate(ids):
        sub = subs.subs.get(sid)
        if sub is None:
            raise IppError(NOT_FOUND, f"no subscription {sid}", [req.op["notify-subscription-ids"]])
        first = seqs[n] if n < len(seqs) else 1
        for ev in sub.queue:
            if ev.sequence >= first:
                groups.append(Group(GroupTag.EVENT_NOTIFICATION, _event_attributes(view, sub, ev)))
    return groups, OK, []


def _event_attributes(view: A.View, sub: Subscription, ev: Event) -> list[Attribute]:
    state = view.state
    attrs = [
        Attribute("notify-subscription-id", Tag.INTEGER, [sub.id]),
        Attribute("notify-sequence-number", Tag.INTEGER, [ev.sequence]),
        Attribute("notify-subscribed-event", Tag.KEYWORD, [ev.name]),
        Attribute("notify-printer-uri", Tag.URI, [view.printer_uri]),
        Attribute("notify-text", Tag.TEXT, [ev.name.replace("-", " ")]),
        Attribute("printer-up-time", Tag.INTEGER, [view.up_time()]),
        Attribute("printer-state", Tag.ENUM, [A.printer_state(state)]),
        Attribute("printer-state-reasons", Tag.KEYWORD, A.printer_state_reasons(state)),
        Attribute("printer-is-accepting-jobs", Tag.BOOLEAN, [bool(state.status.is_accepting_jobs)]),
    ]
    if ev.job_id is not None:
        job = next((j for j in state.jobs if j.index == ev.job_id), None)
        attrs.append(Attribute("notify-job-id", Tag.INTEGER, [ev.job_id]))
        if job is not None:
            attrs += [
                Attribute("job-state", Tag.ENUM, [A.JOB_STATES.get(job.state, 3)]),
                Attribute("job-state-reasons", Tag.KEYWORD, list(job.state_reasons) or ["none"]),
                Attribute("job-impressions-completed", Tag.INTEGER, [job.impressions_completed]),
            ]
    return attrs


HANDLERS = {
    0x0016: create_printer_subscriptions,
    0x0017: create_job_subscriptions,
    0x0018: get_subscription_attributes,
    0x0019: get_subscriptions,
    0x001A: renew_subscription,
    0x001B: cancel_subscription,
    0x001C: get_notifications,
}
