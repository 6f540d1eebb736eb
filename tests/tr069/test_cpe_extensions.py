"""The runtime's extension points, used from outside as a feature helper would (issue 14):
an RPC handler, an event, a persisted section, a post-session action, an outbox request and
a timer, on fake time against the real stub ACS; and the pure scheduler decisions."""

from __future__ import annotations

from typing import Any

from printbench.cwmp import messages as m
from printbench.cwmp_cpe import Cpe, CpeConfig, FakeTime, MemoryStore
from printbench.cwmp_cpe import scheduler as S
from printbench.cwmp_cpe.extensions import OutboundRequest
from printbench.cwmp_cpe.persistence import StateSection, TimeBase

from .conftest import assert_valid, device_id, small_tree


class FakeDu:
    """A toy ChangeDUState feature: accepts the request, "installs" after the session, and
    reports DUStateChangeComplete (with 11 DU STATE CHANGE COMPLETE + M ChangeDUState)."""

    name = "toy-du"

    def __init__(self, cpe: Cpe) -> None:
        self.cpe = cpe
        self.pending: list[str] = []  # CommandKeys whose completion is not acknowledged
        self.ticks = 0
        self.due_at: float | None = cpe.clock.monotonic() + 50
        cpe.register(m.ChangeDUState, self.change_du_state)
        cpe.persist(StateSection("toy_du", self._dump, self._load))
        cpe.add_outbox(self._outbox)
        cpe.add_timer(self)

    def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    def _dump(self, base: TimeBase) -> Any:
        return list(self.pending)

    def _load(self, value: Any, base: TimeBase) -> None:
        self.pending = [str(k) for k in value]

    def due(self) -> float | None:
        return self.due_at

    def fire(self, now: float) -> None:
        if self.due_at is not None and now >= self.due_at:
            self.due_at = None
            self.ticks += 1

    def change_du_state(self, req: m.ChangeDUState) -> m.Message:
        key = req.command_key

        def installed() -> None:
            self.pending.append(key)
            self.cpe.queue.add("11 DU STATE CHANGE COMPLETE")
            self.cpe.add_event("M ChangeDUState", key)  # saves (toy_du too) and wakes

        self.cpe.after_session(installed)
        return m.ChangeDUStateResponse()

    def _outbox(self, namespace: str):
        for key in list(self.pending):
            yield OutboundRequest(
                m.DUStateChangeComplete(
                    results=(m.OpResultStruct("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),),
                    command_key=key,
                ),
                on_response=lambda _r, key=key: self._done(key),
            )

    def _done(self, key: str) -> None:
        self.pending.remove(key)
        self.cpe.queue.on_du_state_change_complete_response(key)
        self.cpe.save()


def _cpe(acs, t: FakeTime, store: MemoryStore) -> tuple[Cpe, FakeDu]:
    cpe = Cpe(small_tree(acs.server.cwmp_url), CpeConfig(), clock=t, sleep=t.sleep, store=store)
    return cpe, cpe.attach(FakeDu(cpe))


async def test_a_feature_attached_from_outside_uses_every_extension_point(acs) -> None:
    t = FakeTime()
    store = MemoryStore()
    cpe, du = _cpe(acs, t, store)
    assert "ChangeDUState" in cpe.supported_methods()
    item = acs.enqueue(device_id(), m.ChangeDUState(operations=(m.InstallOpStruct("http://127.0.0.1:9/du.bin"),), command_key="du-1"))
    await cpe.start()
    try:
        await t.advance(5, [cpe.idle])
        assert isinstance(item.future.result(), m.ChangeDUStateResponse)
        # the post-session action queued the events; a new session delivered the request
        informs = [[e.event_code for e in i.event] for i in cpe.informs]
        assert ["11 DU STATE CHANGE COMPLETE", "M ChangeDUState"] in informs
        methods = [e["method"] for e in acs.journal() if e.get("direction") == "cpe->acs"]
        assert "DUStateChangeComplete" in methods
        assert du.pending == [] and len(cpe.queue) == 0
        assert store.state is not None and store.state["toy_du"] == []
        assert du.ticks == 0
        await t.advance(50, [cpe.idle])
        assert du.ticks == 1  # the timer woke the parked loop at its due time
        assert_valid(acs)
    finally:
        await cpe.stop()


async def test_a_feature_section_survives_a_restart(acs) -> None:
    t = FakeTime()
    store = MemoryStore()
    cpe, du = _cpe(acs, t, store)
    du.pending.append("kept")
    cpe.save()
    again, du2 = _cpe(acs, t, store)
    again.persistence.restore()
    assert du2.pending == ["kept"]


def _state(**kw: Any) -> S.LoopState:
    base: dict[str, Any] = dict(now=100.0, enabled=True, queued_events=0, has_active_change=False,
                                retry_next=None, cr_override=False, throttle_due=float("-inf"))  # fmt: skip
    base.update(kw)
    return S.LoopState(**base)


def test_scheduler_decisions() -> None:
    assert not S.want_session(_state())
    assert S.want_session(_state(queued_events=1))
    assert not S.want_session(_state(queued_events=1, enabled=False))
    assert not S.want_session(_state(queued_events=1, retry_next=150.0))  # retry wait
    assert S.want_session(_state(queued_events=1, retry_next=150.0, cr_override=True))
    assert not S.want_session(_state(has_active_change=True, throttle_due=120.0))
    assert S.want_session(_state(has_active_change=True, throttle_due=90.0))
    # a failed session's retry is not delayed by the throttle (TR-181)
    assert S.want_session(_state(has_active_change=True, throttle_due=120.0, retry_next=99.0))
    assert S.want_session(_state(), extra_wanted=True)
    assert S.next_due(_state(), [None, 130.0, 110.0]) == 110.0
    assert S.next_due(_state(), []) is None
    assert S.next_due(_state(queued_events=1, retry_next=105.0), [130.0]) == 105.0
    assert S.next_due(_state(has_active_change=True, throttle_due=120.0), []) == 120.0


def test_periodic_schedule_keeps_its_phase() -> None:
    from datetime import UTC, datetime, timedelta

    wall = datetime(2026, 1, 1, 0, 0, 10, tzinfo=UTC)
    phase = wall - timedelta(seconds=10)  # grid at :00, :30, ...
    p = S.PeriodicSchedule()
    assert not p.tick(0.0, wall, True, 30, phase)
    assert p.next == 20.0  # the next grid point, not "interval from now"
    assert p.tick(20.0, wall, True, 30, phase) and p.next == 50.0
    assert not p.tick(21.0, wall, False, 30, phase) and p.next is None


def test_connection_request_limit_is_read_when_a_request_comes() -> None:
    """The built-in conformance target raises ``config.cr_rate_limit`` after the Cpe is
    built; the split's gate had kept the value of construction time (TLS-004 got 503)."""
    t = FakeTime()
    cpe = Cpe(small_tree("http://127.0.0.1:9/acs"), CpeConfig(), clock=t, sleep=t.sleep)
    cpe.config.cr_rate_limit = 2
    assert [cpe.accept_connection_request()[0] for _ in range(3)] == [200, 200, 503]
    cpe.config.cr_rate_limit = 40
    assert cpe.accept_connection_request()[0] == 200
