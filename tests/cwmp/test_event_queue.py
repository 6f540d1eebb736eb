"""Inform event queue: single/multiple, completion, failure, reboot, bootstrap, persistence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from printbench.cwmp.events import (
    POLICIES,
    Completion,
    Event,
    EventError,
    EventQueue,
    Retention,
    TransferCompleteStore,
    TransferRecord,
    policy_for,
)


def codes(q: EventQueue) -> list[tuple[str, str]]:
    return [(e.code, e.command_key) for e in q.events]


def test_all_standard_codes_have_policies():
    expected = [
        f"{n} {name}"
        for n, name in enumerate(
            [
                "BOOTSTRAP",
                "BOOT",
                "PERIODIC",
                "SCHEDULED",
                "VALUE CHANGE",
                "KICKED",
                "CONNECTION REQUEST",
                "TRANSFER COMPLETE",
                "DIAGNOSTICS COMPLETE",
                "REQUEST DOWNLOAD",
                "AUTONOMOUS TRANSFER COMPLETE",
                "DU STATE CHANGE COMPLETE",
                "AUTONOMOUS DU STATE CHANGE COMPLETE",
                "WAKEUP",
                "HEARTBEAT",
            ]
        )
    ]
    expected += [
        "M Reboot",
        "M ScheduleInform",
        "M Download",
        "M ScheduleDownload",
        "M Upload",
        "M ChangeDUState",
    ]
    assert list(POLICIES) == expected
    for code in ("7 TRANSFER COMPLETE", "M Download", "M Upload", "M ScheduleDownload"):
        assert policy_for(code).completion is Completion.TRANSFER_COMPLETE
    assert policy_for("6 CONNECTION REQUEST").retention is Retention.NO_RETRY
    assert all(p.multiple == p.code.startswith("M ") for p in POLICIES.values())


def test_vendor_and_unknown_codes():
    assert not policy_for("X 00D09E MyEvent").multiple
    assert policy_for("M X_ACME_Calibrate").multiple
    for bad in ("14 FUTURE", "X acme Evt", "M Unknown", "", "boot"):
        with pytest.raises(EventError, match="unknown event code"):
            policy_for(bad)
    q = EventQueue()
    with pytest.raises(EventError, match="takes no CommandKey"):
        q.add("2 PERIODIC", "k")


def test_single_events_are_not_duplicated_multiple_are():
    q = EventQueue()
    q.add("2 PERIODIC")
    q.add("2 PERIODIC")
    q.add("M Download", "a")
    q.add("M Download", "b")
    q.add("M Download", "a")
    assert codes(q) == [("2 PERIODIC", ""), ("M Download", "a"), ("M Download", "b")]


def test_inform_response_removes_only_what_was_sent_and_completes_on_inform():
    q = EventQueue()
    q.add("1 BOOT")
    q.add("M Reboot", "rk")
    q.add("7 TRANSFER COMPLETE")
    q.add("M Download", "dl")
    sent = q.inform_events()
    assert [e.code for e in sent] == ["1 BOOT", "M Reboot", "7 TRANSFER COMPLETE", "M Download"]
    q.add("2 PERIODIC")  # arose while the Inform was in flight
    q.on_inform_response()
    assert codes(q) == [("7 TRANSFER COMPLETE", ""), ("M Download", "dl"), ("2 PERIODIC", "")]
    assert q.on_transfer_complete_response("other") == []
    q.on_transfer_complete_response("dl")
    assert codes(q) == [("2 PERIODIC", "")]


def test_seven_stays_until_every_transfer_is_acknowledged():
    q = EventQueue()
    for k in ("a", "b"):
        q.add("7 TRANSFER COMPLETE")
        q.add("M Upload" if k == "a" else "M ScheduleDownload", k)
    q.on_transfer_complete_response("a")
    assert "7 TRANSFER COMPLETE" in q
    q.on_transfer_complete_response("b")
    assert len(q) == 0


def test_connection_request_is_never_retried():
    q = EventQueue()
    q.add("6 CONNECTION REQUEST")
    q.add("4 VALUE CHANGE")
    q.inform_events()
    assert q.on_session_failed() == [Event("6 CONNECTION REQUEST")]
    assert codes(q) == [("4 VALUE CHANGE", "")]


def test_reboot_keeps_what_must_not_be_discarded():
    q = EventQueue()
    for code, key in [
        ("2 PERIODIC", ""),
        ("3 SCHEDULED", ""),
        ("M ScheduleInform", "s"),
        ("4 VALUE CHANGE", ""),
        ("6 CONNECTION REQUEST", ""),
        ("7 TRANSFER COMPLETE", ""),
        ("M Download", "d"),
        ("8 DIAGNOSTICS COMPLETE", ""),
        ("X 00D09E Foo", ""),
    ]:
        q.add(code, key)
    restored = EventQueue.from_json(q.to_json())
    restored.on_reboot()
    restored.add("1 BOOT")
    restored.add("M Reboot", "rb")
    assert codes(restored) == [
        ("3 SCHEDULED", ""),
        ("M ScheduleInform", "s"),
        ("7 TRANSFER COMPLETE", ""),
        ("M Download", "d"),
        ("1 BOOT", ""),
        ("M Reboot", "rb"),
    ]


def test_bootstrap_discards_other_undelivered_events():
    q = EventQueue()
    q.add("1 BOOT")
    q.add("2 PERIODIC")
    q.add("M Download", "old-acs")
    q.add("0 BOOTSTRAP")
    assert codes(q) == [("1 BOOT", ""), ("0 BOOTSTRAP", "")]
    q.on_factory_reset()
    assert len(q) == 0


def test_other_completions():
    q = EventQueue()
    q.add("10 AUTONOMOUS TRANSFER COMPLETE")
    q.add("11 DU STATE CHANGE COMPLETE")
    q.add("M ChangeDUState", "cd")
    q.add("12 AUTONOMOUS DU STATE CHANGE COMPLETE")
    q.add("9 REQUEST DOWNLOAD")
    q.inform_events()
    q.on_inform_response()
    assert len(q) == 5  # none of these completes on InformResponse
    assert q.on_autonomous_transfer_complete_response(more_pending=True) == []
    q.on_autonomous_transfer_complete_response()
    q.on_du_state_change_complete_response("cd")
    q.on_autonomous_du_state_change_complete_response()
    q.on_request_download_response()
    assert len(q) == 0


def test_at_most_64_events_per_inform():
    q = EventQueue()
    for i in range(70):
        q.add("M Download", f"k{i}")
    assert len(q.inform_events()) == 64


def test_restore_rejects_garbage():
    with pytest.raises(EventError):
        EventQueue.from_json("{")
    with pytest.raises(EventError):
        EventQueue.from_json('{"events": [["99 NOPE", ""]]}')


@given(
    st.lists(
        st.tuples(st.sampled_from(sorted(POLICIES)), st.sampled_from(["", "a", "b"])), max_size=30
    )
)
def test_persistence_roundtrip_property(adds):
    q = EventQueue()
    for code, key in adds:
        q.add(code, key if code.startswith("M ") else "")
    again = EventQueue.from_json(q.to_json())
    assert again.events == q.events
    singles = [e.code for e in q.events if not policy_for(e.code).multiple]
    assert len(singles) == len(set(singles))


def test_transfer_complete_store_survives_restart():
    s = TransferCompleteStore()
    s.add(TransferRecord("dl-1", "2024-01-01T00:00:00Z", "2024-01-01T00:01:00Z"))
    s.add(TransferRecord("ul-2", fault_code=9011, fault_string="Upload failure"))
    again = TransferCompleteStore.from_json(s.to_json())
    assert again.pending() == s.pending()
    assert again.next().command_key == "dl-1"
    assert again.acknowledge("dl-1").complete_time == "2024-01-01T00:01:00Z"
    assert again.acknowledge("dl-1") is None
    assert [r.command_key for r in again.pending()] == ["ul-2"]
    with pytest.raises(EventError):
        TransferCompleteStore.from_json('{"records": [{"bogus": 1}]}')


def test_heartbeat_event_policy() -> None:
    """14 HEARTBEAT (TR-069 Amd 6 Annex O, TR-181 HeartbeatPolicy): single, delivered by the
    InformResponse, retried after a failed session, not kept over a reboot."""
    q = EventQueue()
    q.add("14 HEARTBEAT")
    q.add("14 HEARTBEAT")
    assert q.events == [Event("14 HEARTBEAT")]
    q.inform_events()
    q.on_session_failed()
    assert "14 HEARTBEAT" in q
    q.inform_events()
    q.on_inform_response()
    assert "14 HEARTBEAT" not in q
    q.add("14 HEARTBEAT")
    q.on_reboot()
    assert "14 HEARTBEAT" not in q
    restored = EventQueue.from_json(EventQueue([Event("14 HEARTBEAT")]).to_json())
    assert restored.events == [Event("14 HEARTBEAT")]
