"""Hypothesis strategies for every CWMP message, valid against the BBF schemas.

Used by printbench's own tests (round trip, schema validation, sessions) and available to
the other roles' tests and fuzzers. Imports hypothesis, so import this module only in tests.

The strategies are generated from the same field metadata the codec uses, with overrides
for the schema's patterns and enumerations (OUI, EventCode, FileType, UUID, ...), so a new
message class gets a strategy for free.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from printbench.cwmp import faults
from printbench.cwmp import messages as m
from printbench.cwmp.soap import format_datetime

# Characters XML 1.0 can carry (no surrogates, no C0 controls except tab/newline/CR, and
# not the noncharacters U+FFFE/U+FFFF, which the Char production leaves out).
_XML_CHARS = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc"),
    exclude_characters="\ufffe\uffff",
) | st.sampled_from("\t\n\r")
TEXT = st.text(_XML_CHARS, max_size=32)
NAME = st.from_regex(
    r"Device\.[A-Za-z][A-Za-z0-9]{0,12}(\.[0-9]{1,3}|\.[A-Za-z]{1,8}){0,3}", fullmatch=True
)
OBJECT_NAME = NAME.map(lambda s: s + ".")

DATETIMES = st.builds(
    lambda d, tz, ms: d.replace(microsecond=ms * 1000, tzinfo=tz),
    st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 30)),
    st.sampled_from([UTC, None]),
    st.integers(0, 999),
)

EVENT_CODES = st.sampled_from(
    [
        "0 BOOTSTRAP",
        "1 BOOT",
        "2 PERIODIC",
        "3 SCHEDULED",
        "4 VALUE CHANGE",
        "6 CONNECTION REQUEST",
        "7 TRANSFER COMPLETE",
        "M Reboot",
        "M Download",
        "M X_ACME_Thing",
        "X 00D0B7 PaperLow",
    ]
)
DOWNLOAD_FILE_TYPES = st.sampled_from(
    ["1 Firmware Upgrade Image", "3 Vendor Configuration File", "X 00D0B7 Font Pack"]
)
TRANSFER_FILE_TYPES = st.sampled_from(
    ["1 Firmware Upgrade Image", "4 Vendor Log File", "6 Vendor Configuration File 2"]
)
UUIDS = st.uuids().map(str)
URLS = st.from_regex(r"http://[a-z]{1,10}\.example/[a-z0-9]{0,10}", fullmatch=True)
BASE64 = st.binary(max_size=24).map(lambda b: __import__("base64").b64encode(b).decode())


def _value_pairs() -> st.SearchStrategy[tuple[str | None, str]]:
    return st.one_of(
        st.tuples(st.just("xsd:string"), TEXT),
        st.tuples(st.just("xsd:unsignedInt"), st.integers(0, m.UINT_MAX).map(str)),
        st.tuples(st.just("xsd:int"), st.integers(m.INT_MIN, m.INT_MAX).map(str)),
        st.tuples(st.just("xsd:boolean"), st.sampled_from(["true", "false", "1", "0"])),
        st.tuples(
            st.just("xsd:dateTime"),
            DATETIMES.map(format_datetime),
        ),
        st.tuples(st.just(None), TEXT),
    )


PARAMETER_VALUES = st.builds(
    lambda name, pair: m.ParameterValueStruct(name, pair[1], pair[0]), NAME, _value_pairs()
)


def _fault_codes(namespace: str) -> st.SearchStrategy[int]:
    if namespace == m.CWMP_1_0:
        codes = [*range(9000, 9014), *range(8000, 8006), 9800]
    else:
        codes = [*faults.CPE_FAULTS, *faults.ACS_FAULTS, 9800, 8800]
        if namespace != m.CWMP_1_2:
            codes = [c for c in codes if (c <= 9032 and c != 8006) or c in (9800, 8800)]
    return st.sampled_from(sorted(set(codes)))


# Element name -> strategy, for the schema's patterns and enumerations.
def _overrides(namespace: str) -> dict[tuple[str, str] | str, st.SearchStrategy[Any]]:
    legacy = namespace in (m.CWMP_1_0, m.CWMP_1_1)
    return {
        "OUI": st.from_regex(r"[0-9A-F]{6}", fullmatch=True),
        "EventCode": EVENT_CODES,
        ("Download", "FileType"): DOWNLOAD_FILE_TYPES,
        ("ScheduleDownload", "FileType"): DOWNLOAD_FILE_TYPES,
        ("RequestDownload", "FileType"): DOWNLOAD_FILE_TYPES,
        ("Upload", "FileType"): st.sampled_from(
            ["1 Vendor Configuration File", "2 Vendor Log File"]
            + ([] if legacy else ["3 Vendor Configuration File 1"])
        ),
        "FileType": st.just("1 Firmware Upgrade Image") if legacy else TRANSFER_FILE_TYPES,
        "ObjectName": OBJECT_NAME,
        "ParameterPath": st.one_of(st.just(""), OBJECT_NAME, NAME),
        "UUID": UUIDS,
        "CurrentState": st.sampled_from(["Installed", "Uninstalled", "Failed"]),
        "OperationPerformed": st.sampled_from(["Install", "Update", "Uninstall"]),
        "WindowMode": st.sampled_from(
            ["1 At Any Time", "2 Immediately", "3 When Idle", "4 Confirmation Needed"]
        ),
        ("InstallOpStruct", "URL"): URLS,
        ("UpdateOpStruct", "URL"): URLS,
        ("Fault", "FaultCode"): _fault_codes(namespace),
        ("SetParameterValuesFault", "FaultCode"): st.sampled_from([9005, 9006, 9007, 9008]),
        ("FaultStruct", "FaultCode"): st.sampled_from([0, 9001, 9002, 9010, 9011, 9012]),
        ("DeploymentUnitFaultStruct", "FaultCode"): st.sampled_from([0, 9001, 9003, 9022]),
        "Notification": st.integers(0, 2 if legacy else 6),
        ("ParameterInfoStruct", "Name"): st.one_of(NAME, OBJECT_NAME),
        "Name": NAME,
        "ParameterName": NAME,
    }


_ITEM_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "AccessList": st.just("Subscriber"),
    "VoucherList": BASE64,
    "MethodList": st.sampled_from(["GetRPCMethods", "Inform", "TransferComplete"]),
    "ParameterNames": st.one_of(NAME, OBJECT_NAME),
}
_MIN_ONE = {
    "MethodList",
    "ParameterNames",
    "VoucherList",
    "Operations",
    "Results",
    "TimeWindowList",
}
_MAX = {"TimeWindowList": 2}
_MIN_ONE_PARAMETER_LIST = {"SetParameterAttributes"}


def strategy_for(cls: type, namespace: str = m.CWMP_1_2) -> st.SearchStrategy[Any]:
    """A strategy producing schema-valid instances of message or struct ``cls``."""
    overrides = _overrides(namespace)
    return _build(cls, namespace, overrides)


def _build(cls: type, namespace: str, overrides: dict) -> st.SearchStrategy[Any]:
    if cls is m.ParameterValueStruct:
        return PARAMETER_VALUES
    kwargs: dict[str, st.SearchStrategy[Any]] = {}
    for f in fields(cls):
        meta = f.metadata
        if "el" not in meta:
            continue
        name = meta["el"]
        strat = overrides.get((cls.__name__, name))
        if strat is None:
            strat = overrides.get(name)
        if strat is None:
            strat = _kind_strategy(cls, meta, namespace, overrides)
        if meta["optional"]:
            strat = st.none() | strat
        kwargs[f.name] = strat
    return st.builds(cls, **kwargs)


def _kind_strategy(cls: type, meta: Any, namespace: str, overrides: dict) -> st.SearchStrategy[Any]:
    kind, name = meta["kind"], meta["el"]
    if kind == m.STR:
        return TEXT
    if kind == m.INT:
        lo = meta["min"] if meta["min"] is not None else 0
        hi = meta["max"] if meta["max"] is not None else m.UINT_MAX
        return st.integers(lo, hi)
    if kind == m.BOOL:
        return st.booleans()
    if kind == m.DATETIME:
        return DATETIMES
    if kind == m.STRUCT:
        return _build(meta["cls"], namespace, overrides)
    min_size = 1 if name in _MIN_ONE or cls.__name__ in _MIN_ONE_PARAMETER_LIST else 0
    max_size = _MAX.get(name, 3)
    if kind == m.ARRAY:
        item = (
            _ITEM_STRATEGIES.get(name, TEXT)
            if meta["cls"] is None
            else _build(meta["cls"], namespace, overrides)
        )
        return st.lists(item, min_size=min_size, max_size=max_size).map(tuple)
    if kind == m.REPEAT:
        return st.lists(
            _build(meta["cls"], namespace, overrides), min_size=min_size, max_size=max_size
        ).map(tuple)
    if kind == m.OPERATION:
        ops = st.one_of(*(_build(c, namespace, overrides) for c in m.OPERATION_TYPES.values()))
        return st.lists(ops, min_size=1, max_size=max_size).map(tuple)
    raise ValueError(f"no strategy for kind {kind}")


def messages(namespace: str = m.CWMP_1_2) -> st.SearchStrategy[m.Message]:
    """Any message defined in ``namespace``'s schema."""
    names = m.methods_in_namespace(namespace)
    return st.one_of(*(strategy_for(c, namespace) for c in m.ALL_MESSAGES if c.METHOD in names))


def envelopes(namespace: str | None = None) -> st.SearchStrategy[m.Envelope]:
    """Envelopes with any header combination, in any of the known namespaces."""

    def build(ns: str) -> st.SearchStrategy[m.Envelope]:
        return st.builds(
            m.Envelope,
            body=st.none() | messages(ns),
            id=st.none() | TEXT,
            hold_requests=st.none() | st.booleans(),
            session_timeout=st.none() | st.integers(0, m.UINT_MAX),
            supported_cwmp_versions=st.none()
            | st.lists(st.sampled_from(m.ALL_VERSIONS), min_size=1, max_size=5).map(tuple),
            use_cwmp_version=st.none() | st.sampled_from(m.ALL_VERSIONS),
            no_more_requests=st.none() | st.booleans(),
            namespace=st.just(ns),
        )

    if namespace is not None:
        return build(namespace)
    return st.sampled_from(m.CWMP_NAMESPACES).flatmap(build)
