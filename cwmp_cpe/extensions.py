"""How a feature module plugs into a :class:`~cwmp_cpe.runtime.Cpe` (the extension points).

The runtime's core is the session loop; every RPC family beyond the parameter RPCs is a
*feature* that attaches itself to one ``Cpe`` through five documented calls. The built-in
features use exactly these (``device_rpcs``: Reboot/FactoryReset/ScheduleInform/
GetRPCMethods; ``transfer_jobs``: Download/Upload/queue/CancelTransfer), so a new one
(ChangeDUState, diagnostics, heartbeat, ...) looks like them:

``cpe.register(MessageType, handler)``
    Answer an ACS request. ``handler(request)`` returns the response or an ``m.Fault``
    (or an awaitable of one); an exception becomes fault 9002. Registering a type again
    replaces the handler (the proxy replaces the parameter RPCs this way); GetRPCMethods
    lists every registered CPE method.

``cpe.add_event(code, command_key="")``
    Queue an Inform event (codes and their retry/discard rules: ``cwmp.events.POLICIES``),
    persist it and wake the loop: a session starts unless the retry wait forbids it.

``cpe.persist(StateSection(key, dump, load))``
    Keep state across reboots and restarts under a new top-level key of the store
    (``cwmp_cpe.persistence``). Call ``cpe.save()`` after every change of that state.

``cpe.after_session(action)``
    Run ``action()`` once no session is open (a device does not reboot or activate
    firmware in the middle of a session). ``_after_session`` is the old name.

``cpe.add_outbox(provider)`` / ``cpe.send_request(OutboundRequest)``
    Send a CPE→ACS request (TransferComplete, AutonomousTransferComplete, RequestDownload,
    DUStateChangeComplete, ...). A *provider* is asked at the start of every session
    (after the InformResponse is awaited) for the requests it wants sent in that session,
    e.g. every unacknowledged completion record; ``send_request`` puts one request into the
    session that is open now, if it can still take one, and returns False otherwise (the
    provider then sends it in the next session). The callbacks say what the ACS answered.

``cpe.add_timer(timer)``
    A source of due times (``cwmp_cpe.scheduler.Timer``): ``due()`` tells the parked loop
    when to wake, ``fire(now)`` acts (typically ``add_event``).

``cpe.add_own_session(source)``
    Sessions of their own (``OwnSession``): while ``source.wanted()`` the loop opens a
    session whose Inform carries only ``source.inform_events()`` (no queued events, no
    value changes, no queued CPE requests) and tells the source how it went
    (``accepted()`` on the InformResponse, ``failed()`` when no InformResponse came). The
    retry wait of TR-069 §3.2.1.1 applies to these sessions too. Heartbeat uses it
    (``14 HEARTBEAT``); a session with ``0 BOOTSTRAP`` or ``1 BOOT`` queued goes first.

A feature also reads the device's settings with ``cpe.settings()``, the clock as
``cpe.clock`` (always the injected one: tests run on ``FakeTime``), counts itself busy with
``cpe.busy()`` (a context manager: ``Cpe.idle()`` waits for it), reports to the bench with
``cpe.emit(what, data)``, and reacts to a boot or a factory reset by registering
``cpe.on_boot(fn)`` / ``cpe.on_factory_reset(fn)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from printbench.cwmp import messages as m
from printbench.cwmp.events import Event


@dataclass(eq=False)
class OutboundRequest:
    """One CPE→ACS request and what to do with its answer.

    ``on_response(response)`` runs when the ACS answers it; ``on_fault(fault)`` when it
    answers with a SOAP fault. ``fault_fails_session``: a fault counts the session as not
    successfully completed (TR-069 A.3.3.1: RetryCount stays, the retry wait applies), as it
    does for TransferComplete, whose record must be delivered.
    """

    message: m.Message
    on_response: Callable[[m.Message], None] | None = field(default=None, repr=False)
    on_fault: Callable[[m.Fault], None] | None = field(default=None, repr=False)
    fault_fails_session: bool = True


#: Asked at the start of each session with the session's namespace (a record may have to
#: be mapped to what an older cwmp namespace allows).
OutboxProvider = Callable[[str], Iterable[OutboundRequest]]


class OwnSession(Protocol):
    """A feature that needs sessions whose Inform carries only its own events."""

    def wanted(self) -> bool: ...

    def inform_events(self) -> list[Event]: ...

    def accepted(self) -> None: ...

    def failed(self) -> None: ...


class Feature(Protocol):
    """A feature module: built with its ``Cpe`` and attached in the constructor.

    By convention ``__init__(self, cpe)`` stores the Cpe and calls the registration points
    above; the Cpe keeps the object (``cpe.features[name]``) so tests and adapters reach
    it. ``start()`` runs when the Cpe starts (after the persisted state is restored and the
    boot is noted), ``stop()`` (awaited) when it stops.
    """

    name: str

    def start(self) -> None: ...

    async def stop(self) -> None: ...
