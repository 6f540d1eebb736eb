"""TransferComplete FaultCode per namespace (``cwmp.faults.transfer_complete_fault``).

The allowed sets are checked against the BBF schemas themselves: every code the function
keeps or produces must validate in a TransferComplete of that namespace, and every code it
replaces must not.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from printbench.cwmp import messages as m
from printbench.cwmp import schema, soap
from printbench.cwmp.faults import transfer_complete_code_allowed, transfer_complete_fault

NAMESPACES = [m.CWMP_1_0, m.CWMP_1_1, m.CWMP_1_2]
CODES = [0, 9001, 9002, 9003, *range(9010, 9022), 9033, 9799, 9800, 9899]


def _xsd_accepts(code: int, namespace: str) -> bool:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    env = m.Envelope(
        m.TransferComplete("k", m.FaultStruct(code, "x" if code else ""), t, t),
        id="1",
        namespace=namespace,
    )
    body = soap.encode(env)
    return not schema.validation_errors(body, schema.schema_for(env))


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_allowed_sets_match_the_bbf_schemas(namespace: str) -> None:
    for code in CODES:
        assert transfer_complete_code_allowed(code, namespace) == _xsd_accepts(code, namespace), (
            code
        )


@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("is_download", [True, False])
def test_mapped_codes_always_validate(namespace: str, is_download: bool) -> None:
    for code in CODES:
        sent, _ = transfer_complete_fault(code, "detail", namespace, is_download=is_download)
        assert _xsd_accepts(sent, namespace), (code, sent)


def test_cwmp_1_0_maps_specific_codes_to_the_general_one() -> None:
    for code in range(9015, 9020):
        assert transfer_complete_fault(code, "why", m.CWMP_1_0)[0] == 9010
        assert transfer_complete_fault(code, "why", m.CWMP_1_0, is_download=False)[0] == 9011
    code, text = transfer_complete_fault(9018, "file is 3 bytes, FileSize said 4", m.CWMP_1_0)
    assert (code, text) == (
        9010,
        "9018 File transfer failure: file corrupted: file is 3 bytes, FileSize said 4",
    )
    # kept as is where the schema has them
    assert transfer_complete_fault(9012, "auth", m.CWMP_1_0) == (9012, "auth")
    assert transfer_complete_fault(0, "", m.CWMP_1_0) == (0, "")


def test_cwmp_1_1_and_1_2_keep_specific_codes() -> None:
    assert transfer_complete_fault(9018, "bad", m.CWMP_1_1) == (9018, "bad")
    assert transfer_complete_fault(9019, "bad", m.CWMP_1_2) == (9019, "bad")
    # 9013 is a Download/Upload response fault, never a TransferComplete one
    assert transfer_complete_fault(9013, "ftp", m.CWMP_1_2, is_download=False)[0] == 9011


def test_fault_string_stays_within_the_schema_limit() -> None:
    code, text = transfer_complete_fault(9017, "y" * 400, m.CWMP_1_0)
    assert code == 9010 and len(text) == 256 and text.startswith("9017 ")
    # an empty detail names the standard text only
    assert transfer_complete_fault(9016, "", m.CWMP_1_0)[1] == (
        "9016 File transfer failure: unable to access file"
    )
