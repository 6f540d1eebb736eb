"""The CPE's Inform event queue with TR-069's single/multiple, retry and discard rules.

Each event code has a policy (``POLICIES``): whether several instances may be queued
(``multiple``: the M events, one per CommandKey), which response completes it (most are done
once the Inform carrying them is answered; transfer and DU events only when the matching
TransferComplete/DUStateChangeComplete is acknowledged), and what happens across failures and
reboots. The table is data so a deviation found later is a one-line change; the sources and
the uncertain entries are listed in docs/cwmp-params.md.

Everything here is plain data with ``to_json``/``from_json`` so a restarting device loses no
undelivered event and no unacknowledged TransferComplete.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

MAX_EVENTS_PER_INFORM = 64  # cwmp-1-2.xsd: EventList maxOccurs 64


class Completion(StrEnum):
    """The response after which an event counts as delivered."""

    INFORM = "InformResponse"
    TRANSFER_COMPLETE = "TransferCompleteResponse"
    AUTONOMOUS_TRANSFER_COMPLETE = "AutonomousTransferCompleteResponse"
    DU_STATE_CHANGE_COMPLETE = "DUStateChangeCompleteResponse"
    AUTONOMOUS_DU_STATE_CHANGE_COMPLETE = "AutonomousDUStateChangeCompleteResponse"
    REQUEST_DOWNLOAD = "RequestDownloadResponse"


class Retention(StrEnum):
    """What happens to an undelivered event on failure and reboot."""

    KEEP = "keep"  # retried until delivered, survives reboot ("MUST NOT discard")
    UNTIL_REBOOT = "until-reboot"  # retried, but dropped by a reboot
    NO_RETRY = "no-retry"  # dropped when the session it was meant for fails


@dataclass(frozen=True, slots=True)
class EventPolicy:
    code: str
    multiple: bool
    completion: Completion
    retention: Retention


def _p(code: str, multiple: bool, completion: Completion, retention: Retention) -> EventPolicy:
    return EventPolicy(code, multiple, completion, retention)


C, R = Completion, Retention
POLICIES: dict[str, EventPolicy] = {
    p.code: p
    for p in (
        _p("0 BOOTSTRAP", False, C.INFORM, R.KEEP),
        _p("1 BOOT", False, C.INFORM, R.KEEP),
        _p("2 PERIODIC", False, C.INFORM, R.UNTIL_REBOOT),
        _p("3 SCHEDULED", False, C.INFORM, R.KEEP),
        _p("4 VALUE CHANGE", False, C.INFORM, R.UNTIL_REBOOT),
        _p("5 KICKED", False, C.INFORM, R.UNTIL_REBOOT),
        _p("6 CONNECTION REQUEST", False, C.INFORM, R.NO_RETRY),
        _p("7 TRANSFER COMPLETE", False, C.TRANSFER_COMPLETE, R.KEEP),
        _p("8 DIAGNOSTICS COMPLETE", False, C.INFORM, R.UNTIL_REBOOT),
        _p("9 REQUEST DOWNLOAD", False, C.REQUEST_DOWNLOAD, R.KEEP),
        _p("10 AUTONOMOUS TRANSFER COMPLETE", False, C.AUTONOMOUS_TRANSFER_COMPLETE, R.KEEP),
        _p("11 DU STATE CHANGE COMPLETE", False, C.DU_STATE_CHANGE_COMPLETE, R.KEEP),
        _p(
            "12 AUTONOMOUS DU STATE CHANGE COMPLETE",
            False,
            C.AUTONOMOUS_DU_STATE_CHANGE_COMPLETE,
            R.KEEP,
        ),
        _p("13 WAKEUP", False, C.INFORM, R.UNTIL_REBOOT),
        # TR-069 Amd 6 Annex O / TR-181 ManagementServer.HeartbeatPolicy (2.12): a numbered
        # event, so Single like every numbered code of Table 7; done on InformResponse; a
        # timer event like 2 PERIODIC, so retried after a failed session but not kept over
        # a reboot (the policy raises the next one). The Annex O text itself (and its
        # retry/discard row) was not available to check; icwmp keeps it over reboot too.
        _p("14 HEARTBEAT", False, C.INFORM, R.UNTIL_REBOOT),
        _p("M Reboot", True, C.INFORM, R.KEEP),
        _p("M ScheduleInform", True, C.INFORM, R.KEEP),
        _p("M Download", True, C.TRANSFER_COMPLETE, R.KEEP),
        _p("M ScheduleDownload", True, C.TRANSFER_COMPLETE, R.KEEP),
        _p("M Upload", True, C.TRANSFER_COMPLETE, R.KEEP),
        _p("M ChangeDUState", True, C.DU_STATE_CHANGE_COMPLETE, R.KEEP),
    )
}
del C, R

# Events that carry a CommandKey (TR-069: CommandKey is empty for all other events).
_TRANSFER_M = {"M Download", "M ScheduleDownload", "M Upload"}
_VENDOR_RE = re.compile(r"X [0-9A-F]{6} \S.*")
_VENDOR_M_RE = re.compile(r"M X_[0-9A-Za-z_]+")
EVENT_CODE_MAX = 64


class EventError(ValueError):
    """An event code that TR-069 does not define (and is no vendor event)."""


def policy_for(code: str) -> EventPolicy:
    """The policy of ``code``, including vendor ``X <OUI> ...`` and ``M X_...`` events."""
    p = POLICIES.get(code)
    if p is not None:
        return p
    if len(code) <= EVENT_CODE_MAX:
        if _VENDOR_RE.fullmatch(code):
            # "X <OUI> <event>": vendor-defined; we treat it as single, done on InformResponse,
            # "may retry" -> retried until reboot.
            return EventPolicy(code, False, Completion.INFORM, Retention.UNTIL_REBOOT)
        if _VENDOR_M_RE.fullmatch(code):
            return EventPolicy(code, True, Completion.INFORM, Retention.KEEP)
    raise EventError(
        f"unknown event code {code!r}: expected one of {', '.join(POLICIES)}, "
        "'X <OUI> <name>' or 'M X_<method>'"
    )


@dataclass(frozen=True, slots=True)
class Event:
    code: str
    command_key: str = ""


class EventQueue:
    """Undelivered events of one CPE, in the order they arose.

    Session flow: ``inform_events()`` when building the Inform (remembers what was sent);
    ``on_inform_response()`` once it is answered; ``on_session_failed()`` if the Inform was
    never answered; the ``on_*_response`` methods as the ACS acknowledges the CPE's
    requests; ``on_reboot()`` when the device restarts (then add ``1 BOOT`` / ``M Reboot``).
    """

    def __init__(self, events: Iterable[Event] = ()) -> None:
        self._events: list[Event] = list(events)
        self._sent: set[Event] = set()

    # -- adding -----------------------------------------------------------------------------

    def add(self, code: str, command_key: str = "") -> Event:
        """Queue an event; a single event already queued is not duplicated.

        ``0 BOOTSTRAP`` means the ACS changed or the device was reset: every other
        undelivered event is discarded except ``1 BOOT`` (the device did boot).
        """
        policy = policy_for(code)
        if command_key and not (policy.multiple or code.startswith("M ")):
            raise EventError(f"event {code!r} takes no CommandKey (got {command_key!r})")
        if len(command_key) > 32:
            raise EventError(f"CommandKey {command_key!r} is longer than 32 characters")
        ev = Event(code, command_key)
        if code == "0 BOOTSTRAP":
            self._events = [e for e in self._events if e.code in ("0 BOOTSTRAP", "1 BOOT")]
            self._sent &= set(self._events)
        if policy.multiple:
            if ev in self._events:
                return ev
        else:
            for e in self._events:
                if e.code == code:
                    return e
        self._events.append(ev)
        return ev

    # -- reading ----------------------------------------------------------------------------

    @property
    def events(self) -> list[Event]:
        return list(self._events)

    def __len__(self) -> int:
        return len(self._events)

    def __contains__(self, code: object) -> bool:
        return any(e.code == code for e in self._events)

    def inform_events(self) -> list[Event]:
        """The events for the next Inform (at most 64), marked as sent."""
        batch = self._events[:MAX_EVENTS_PER_INFORM]
        self._sent = set(batch)
        return batch

    # -- completion -------------------------------------------------------------------------

    def on_inform_response(self) -> list[Event]:
        """The Inform was answered: drop the events it delivered that complete on it."""
        done = [
            e
            for e in self._events
            if e in self._sent and policy_for(e.code).completion is Completion.INFORM
        ]
        self._remove(done)
        self._sent.clear()
        return done

    def on_session_failed(self) -> list[Event]:
        """The Inform got no answer: drop what must not be retried (6 CONNECTION REQUEST)."""
        dropped = [e for e in self._events if policy_for(e.code).retention is Retention.NO_RETRY]
        self._remove(dropped)
        self._sent.clear()
        return dropped

    def on_transfer_complete_response(self, command_key: str) -> list[Event]:
        """The ACS acknowledged the TransferComplete for ``command_key``.

        Removes the matching ``M Download``/``M ScheduleDownload``/``M Upload`` event and,
        once no transfer M event is left, ``7 TRANSFER COMPLETE``.
        """
        done = [e for e in self._events if e.code in _TRANSFER_M and e.command_key == command_key]
        self._remove(done[:1])
        removed = done[:1]
        if not any(e.code in _TRANSFER_M for e in self._events):
            seven = [e for e in self._events if e.code == "7 TRANSFER COMPLETE"]
            self._remove(seven)
            removed += seven
        return removed

    def on_autonomous_transfer_complete_response(self, more_pending: bool = False) -> list[Event]:
        return self._drop_code("10 AUTONOMOUS TRANSFER COMPLETE", more_pending)

    def on_du_state_change_complete_response(self, command_key: str) -> list[Event]:
        done = [
            e for e in self._events if e.code == "M ChangeDUState" and e.command_key == command_key
        ]
        self._remove(done[:1])
        removed = done[:1]
        if not any(e.code == "M ChangeDUState" for e in self._events):
            eleven = [e for e in self._events if e.code == "11 DU STATE CHANGE COMPLETE"]
            self._remove(eleven)
            removed += eleven
        return removed

    def on_autonomous_du_state_change_complete_response(
        self, more_pending: bool = False
    ) -> list[Event]:
        return self._drop_code("12 AUTONOMOUS DU STATE CHANGE COMPLETE", more_pending)

    def on_request_download_response(self) -> list[Event]:
        return self._drop_code("9 REQUEST DOWNLOAD", False)

    def on_reboot(self) -> list[Event]:
        """The device restarts: drop events that do not survive a reboot."""
        dropped = [e for e in self._events if policy_for(e.code).retention is not Retention.KEEP]
        self._remove(dropped)
        self._sent.clear()
        return dropped

    def on_factory_reset(self) -> list[Event]:
        """A factory reset forgets everything; the caller then adds ``0 BOOTSTRAP`` and ``1 BOOT``."""
        dropped = list(self._events)
        self._events.clear()
        self._sent.clear()
        return dropped

    def _drop_code(self, code: str, keep: bool) -> list[Event]:
        if keep:
            return []
        done = [e for e in self._events if e.code == code]
        self._remove(done)
        return done

    def _remove(self, events: Iterable[Event]) -> None:
        gone = list(events)
        for e in gone:
            if e in self._events:
                self._events.remove(e)
            self._sent.discard(e)

    # -- persistence -------------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps({"version": 1, "events": [[e.code, e.command_key] for e in self._events]})

    @classmethod
    def from_json(cls, text: str) -> EventQueue:
        try:
            data = json.loads(text)
            rows = data["events"]
            events = [Event(str(code), str(key)) for code, key in rows]
        except (ValueError, KeyError, TypeError) as exc:
            raise EventError(f"cannot restore the event queue: {exc}") from None
        for e in events:
            policy_for(e.code)
        return cls(events)


# -- pending TransferComplete records -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TransferRecord:
    """What a TransferComplete (or AutonomousTransferComplete) will report.

    Times are TR-106 dateTime strings (``0001-01-01T00:00:00Z`` when unknown); ``fault_code``
    0 means success.
    """

    command_key: str
    start_time: str = "0001-01-01T00:00:00Z"
    complete_time: str = "0001-01-01T00:00:00Z"
    fault_code: int = 0
    fault_string: str = ""
    kind: str = "transfer"  # "transfer" (TransferComplete) or "autonomous"
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. AutonomousTransferComplete args
    #: Download (True) or Upload: decides the general fault code (9010/9011) an older
    #: namespace gets instead of a specific one (``cwmp.faults.transfer_complete_fault``).
    #: Records saved before this field existed restore as downloads.
    is_download: bool = True


class TransferCompleteStore:
    """TransferComplete records that survive restarts until the ACS acknowledges them."""

    def __init__(self, records: Iterable[TransferRecord] = ()) -> None:
        self._records: list[TransferRecord] = list(records)

    def add(self, record: TransferRecord) -> None:
        self._records.append(record)

    def pending(self) -> list[TransferRecord]:
        return list(self._records)

    def next(self) -> TransferRecord | None:
        """The oldest record still to be sent."""
        return self._records[0] if self._records else None

    def acknowledge(self, command_key: str, kind: str = "transfer") -> TransferRecord | None:
        """The ACS answered the TransferComplete for ``command_key``: forget that record."""
        for i, r in enumerate(self._records):
            if r.command_key == command_key and r.kind == kind:
                return self._records.pop(i)
        return None

    def clear(self) -> None:
        self._records.clear()

    def __len__(self) -> int:
        return len(self._records)

    def to_json(self) -> str:
        return json.dumps({"version": 1, "records": [asdict(r) for r in self._records]})

    @classmethod
    def from_json(cls, text: str) -> TransferCompleteStore:
        try:
            data = json.loads(text)
            return cls(TransferRecord(**r) for r in data["records"])
        except (ValueError, KeyError, TypeError) as exc:
            raise EventError(f"cannot restore pending TransferComplete records: {exc}") from None
