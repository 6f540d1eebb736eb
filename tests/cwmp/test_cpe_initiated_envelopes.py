"""The envelopes the heartbeat and CPE-initiated transfer code sends, as that code builds
them, round-trip through the codec and validate against the BBF XSDs (cwmp-1-2 schema; the
cwmp-1-3/1-4 files for the 1.3/1.4 headers), issue 15 items 3 and 4."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from printbench.cwmp import events as E
from printbench.cwmp import messages as m
from printbench.cwmp import params as P
from printbench.cwmp import schema, soap
from printbench.cwmp_cpe import Cpe, CpeConfig, FakeTime, MemoryStore
from printbench.cwmp_cpe.heartbeat import Heartbeat
from printbench.cwmp_cpe.inform import build_inform

T0 = datetime(2026, 12, 4, 21, 0, tzinfo=UTC)


def _cpe() -> Cpe:
    dm = P.DataModel()
    p = "Device.ManagementServer.AutonomousTransferCompletePolicy."
    for name, typ, default in (
        ("Enable", "boolean", "true"),
        ("TransferTypeFilter", "string", "Both"),
        ("ResultTypeFilter", "string", "Both"),
        ("FileTypeFilter", "string", "1 Firmware Upgrade Image"),
    ):
        dm.parameter(p + name, typ, writable=True, default=default)
    return Cpe(P.ParameterTree(dm, {}), CpeConfig(), clock=FakeTime(), store=MemoryStore())


def _sent_by_cpe() -> list[m.Message]:
    cpe = _cpe()
    feature = cpe.cpe_transfers
    feature.request_download("1 Firmware Upgrade Image", [("Version", "2.0"), ("Reason", "panel")])
    assert feature.autonomous_transfer_complete(
        is_download=True,
        file_type="1 Firmware Upgrade Image",
        start=T0,
        complete=T0,
        transfer_url="usb:/fw.bin",
        file_size=1234,
    )
    assert feature.autonomous_transfer_complete(
        is_download=True, file_type="1 Firmware Upgrade Image", start=T0, complete=T0,
        fault_code=9010, fault_string="the image could not be written",
    )  # fmt: skip
    out = [o.message for o in feature._outbox(m.CWMP_1_2)]
    heartbeat = build_inform(
        cpe.tree,
        root="Device.",
        events=Heartbeat(cpe).inform_events(),
        changes=[],
        device=m.DeviceIdStruct("ACME", "00D0B7", "Printer", "SN1"),
        now=T0,
        retry_count=0,
    )
    return [*out, heartbeat]


def _answered_by_cpe() -> list[m.Message]:
    """ScheduleDownload's response and the queue listings holding a scheduled download."""
    return [
        m.ScheduleDownloadResponse(),
        m.GetQueuedTransfersResponse((m.QueuedTransferStruct("sd-1", 1),)),
        m.GetAllQueuedTransfersResponse(
            (m.AllQueuedTransferStruct("sd-1", 1, True, "3 Vendor Configuration File", 33, ""),)
        ),
        m.TransferComplete(
            command_key="sd-1",
            fault_struct=m.FaultStruct(
                9020, "unable to complete the download within the time windows"
            ),
            start_time=T0,
            complete_time=T0,
        ),
    ]


def _sent_by_acs() -> list[m.Message]:
    return [
        m.ScheduleDownload(
            command_key="sd-1",
            file_type="3 Vendor Configuration File",
            url="http://127.0.0.1/f.txt",
            file_size=33,
            time_window_list=(
                m.TimeWindowStruct(4, 60, "1 At Any Time", "", 0),
                m.TimeWindowStruct(60, 120, "4 Confirmation Needed", "Install?", -1),
            ),
        ),
        m.RequestDownloadResponse(),
        m.AutonomousTransferCompleteResponse(),
        m.CancelTransfer("sd-1"),
    ]


def _all() -> list[m.Message]:
    return _sent_by_cpe() + _answered_by_cpe() + _sent_by_acs()


@pytest.mark.parametrize("message", _all(), ids=lambda msg: type(msg).__name__)
def test_round_trip_and_xsd(message: m.Message) -> None:
    envelope = m.Envelope(message, id="ID-7", namespace=m.CWMP_1_2)
    document = soap.encode(envelope)
    back = soap.decode(document)
    assert back.body == message
    assert schema.validation_errors(document, schema.schema_for(envelope)) == []
    # the same body with the CWMP 1.3/1.4 headers, against the cwmp-1-4 file
    with_headers = m.Envelope(message, id="ID-7", session_timeout=30,
                              supported_cwmp_versions=("1.0", "1.4"))  # fmt: skip
    assert schema.validation_errors(soap.encode(with_headers), schema.SCHEMA_1_4) == []


def test_heartbeat_event_is_not_valid_cwmp_1_0() -> None:
    """Why a CWMP 1.0 client sends no heartbeat: cwmp-1-0.xsd rejects the event code."""
    inform = _sent_by_cpe()[-1]
    assert [e.event_code for e in inform.event] == ["14 HEARTBEAT"]
    envelope = m.Envelope(inform, id="x", namespace=m.CWMP_1_0)
    assert schema.validation_errors(soap.encode(envelope), schema.schema_for(envelope))


def test_records_survive_the_store() -> None:
    rec = E.TransferRecord(
        "a-1", kind="autonomous", extra={"file_type": "1 Firmware Upgrade Image"}
    )
    store = E.TransferCompleteStore([rec])
    assert E.TransferCompleteStore.from_json(store.to_json()).pending() == [rec]
