"""Typed, immutable CWMP messages: every RPC of cwmp-1-2.xsd in both directions.

Why this shape:

- Frozen dataclasses with slots: messages are values, shared freely between the session
  machine, the roles and the journal, and compared in tests (``==``).
- Lists are tuples so a message is hashable and cannot be changed behind a session's back.
- Parameter values stay strings together with their ``xsi:type`` string ("xsd:string",
  "xsd:unsignedInt", ...): a value on the wire is text, and which lexical form is right is
  the parameter tree's business (``cwmp/types.py``), not the codec's.
- Typed fields (``int``, ``bool``, ``datetime``) are used where the schema fixes the type,
  so the codec can apply quirk styles (booleans as 1/0, dateTime with milliseconds).
- Each field carries its wire element name and kind in ``metadata``; the codec in
  ``cwmp/soap.py`` compiles that into encode/decode plans once per class, so adding a
  message is one dataclass here, not code in two places.

Naming: class names are the element names of the schema; field names are their snake_case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar, dataclass_transform

# --- namespaces -------------------------------------------------------------------------

CWMP_1_0 = "urn:dslforum-org:cwmp-1-0"
CWMP_1_1 = "urn:dslforum-org:cwmp-1-1"
CWMP_1_2 = "urn:dslforum-org:cwmp-1-2"
# Not standard (cwmp-1-3.xsd and cwmp-1-4.xsd keep the 1-2 namespace) but sent by real
# stacks (icwmp's cwmp_urls[], GenieACS maps cwmp-1-3 to 1.4).
CWMP_1_3 = "urn:dslforum-org:cwmp-1-3"
CWMP_1_4 = "urn:dslforum-org:cwmp-1-4"
CWMP_NAMESPACES = (CWMP_1_0, CWMP_1_1, CWMP_1_2, CWMP_1_3, CWMP_1_4)

# Protocol version implied by a namespace when no 1.4 negotiation took place.
NAMESPACE_VERSION = {
    CWMP_1_0: "1.0",
    CWMP_1_1: "1.1",
    CWMP_1_2: "1.2",
    CWMP_1_3: "1.3",
    CWMP_1_4: "1.4",
}
ALL_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4")

#: TR-106's "unknown time", 0001-01-01T00:00:00Z. Timezone-aware UTC, so the codec writes
#: it with its ``Z`` and a decoded ``...Z`` value compares equal to it.
UNKNOWN_TIME = datetime(1, 1, 1, 0, 0, 0, tzinfo=UTC)


# --- field metadata -------------------------------------------------------------------

# Kinds of wire values.
STR = "str"  # xs:string (and restrictions)
INT = "int"  # xs:int / xs:unsignedInt
BOOL = "bool"  # xs:boolean
DATETIME = "datetime"  # xs:dateTime
STRUCT = "struct"  # a nested complex type (cls)
ARRAY = "array"  # SOAP-ENC array of items (item, cls or STR)
REPEAT = "repeat"  # the element itself repeats (minOccurs/maxOccurs), no array wrapper
OPERATION = "operation"  # repeated abstract OperationStruct with xsi:type


def el(
    name: str,
    kind: str,
    *,
    default: Any = ...,
    cls: type | None = None,
    item: str | None = None,
    array_type: str | None = None,
    optional: bool = False,
    minimum: int | None = None,
    maximum: int | None = None,
) -> Any:
    """A dataclass field bound to wire element ``name`` of the given kind.

    A field without ``default`` is required. Optional elements and arrays spell their default
    (``default=None``, ``default=()``) at the call rather than having it filled in here,
    because the type checker reads field specifiers from the call (PEP 681): an implied
    default would make it reject every message built without that field.
    """
    meta = {
        "el": name,
        "kind": kind,
        "cls": cls,
        "item": item,
        "array_type": array_type,
        "optional": optional,
        "min": minimum,
        "max": maximum,
    }
    if default is ...:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


UINT_MAX = 4294967295
INT_MIN, INT_MAX = -2147483648, 2147483647


def _uint(name: str, default: Any = ...) -> Any:
    return el(name, INT, default=default, minimum=0, maximum=UINT_MAX)


def _int(name: str, default: Any = ...) -> Any:
    return el(name, INT, default=default, minimum=INT_MIN, maximum=INT_MAX)


_S = TypeVar("_S")


@dataclass_transform(frozen_default=True, field_specifiers=(field, el, _uint, _int))
def _struct(cls: type[_S]) -> type[_S]:
    """A frozen, slotted dataclass whose ``el`` fields the type checker understands.

    Plain ``@dataclass`` would do the same at run time, but the checker only knows
    ``dataclasses.field`` there: every ``el(...)`` field would look optional to it.
    """
    return dataclass(frozen=True, slots=True)(cls)


# --- base classes -----------------------------------------------------------------------


class Message:
    """Base of every body element. ``METHOD`` is the wire element name."""

    __slots__ = ()
    METHOD: ClassVar[str] = ""
    # For requests: the response class expected. None for responses and Fault.
    RESPONSE: ClassVar[type[Message] | None] = None
    IS_REQUEST: ClassVar[bool] = False


class Struct:
    """Base of nested complex types (no element of their own at the top level)."""

    __slots__ = ()


# --- structs ------------------------------------------------------------------------------


@_struct
class ParameterValueStruct(Struct):
    """Name, value text and its xsi:type (None when the sender omitted xsi:type)."""

    name: str = el("Name", STR)
    value: str = el("Value", STR, default="")
    type: str | None = "xsd:string"


@_struct
class DeviceIdStruct(Struct):
    manufacturer: str = el("Manufacturer", STR)
    oui: str = el("OUI", STR)
    product_class: str = el("ProductClass", STR)
    serial_number: str = el("SerialNumber", STR)


@_struct
class EventStruct(Struct):
    event_code: str = el("EventCode", STR)
    command_key: str = el("CommandKey", STR, default="")


@_struct
class ParameterInfoStruct(Struct):
    name: str = el("Name", STR)
    writable: bool = el("Writable", BOOL)


@_struct
class SetParameterAttributesStruct(Struct):
    name: str = el("Name", STR)
    notification_change: bool = el("NotificationChange", BOOL, default=False)
    notification: int = el("Notification", INT, default=0, minimum=0, maximum=6)
    access_list_change: bool = el("AccessListChange", BOOL, default=False)
    access_list: tuple[str, ...] = el(
        "AccessList", ARRAY, item="string", cls=None, array_type="xsd:string", default=()
    )


@_struct
class ParameterAttributeStruct(Struct):
    name: str = el("Name", STR)
    notification: int = el("Notification", INT, default=0, minimum=0, maximum=6)
    access_list: tuple[str, ...] = el(
        "AccessList", ARRAY, item="string", cls=None, array_type="xsd:string", default=()
    )


@_struct
class SetParameterValuesFault(Struct):
    parameter_name: str = el("ParameterName", STR)
    fault_code: int = el("FaultCode", INT, minimum=0, maximum=UINT_MAX)
    fault_string: str | None = el("FaultString", STR, optional=True, default=None)


@_struct
class FaultStruct(Struct):
    """TransferCompleteFaultStruct: FaultCode 0 means success."""

    fault_code: int = el("FaultCode", INT, default=0, minimum=0, maximum=UINT_MAX)
    fault_string: str = el("FaultString", STR, default="")


@_struct
class DeploymentUnitFaultStruct(Struct):
    fault_code: int = el("FaultCode", INT, default=0, minimum=0, maximum=UINT_MAX)
    fault_string: str | None = el("FaultString", STR, optional=True, default=None)


@_struct
class TimeWindowStruct(Struct):
    window_start: int = _uint("WindowStart")
    window_end: int = _uint("WindowEnd")
    window_mode: str = el("WindowMode", STR, default="1 At Any Time")
    user_message: str = el("UserMessage", STR, default="")
    max_retries: int = _int("MaxRetries", default=0)


@_struct
class QueuedTransferStruct(Struct):
    command_key: str = el("CommandKey", STR)
    state: int = el("State", INT, minimum=1, maximum=3)


@_struct
class AllQueuedTransferStruct(Struct):
    command_key: str = el("CommandKey", STR)
    state: int = el("State", INT, minimum=1, maximum=3)
    is_download: bool = el("IsDownload", BOOL)
    file_type: str = el("FileType", STR)
    file_size: int = _uint("FileSize", default=0)
    target_file_name: str = el("TargetFileName", STR, default="")


@_struct
class ArgStruct(Struct):
    name: str = el("Name", STR)
    value: str = el("Value", STR, default="")


@_struct
class OptionStruct(Struct):
    option_name: str = el("OptionName", STR)
    voucher_sn: int = _uint("VoucherSN")
    state: int = el("State", INT, minimum=0, maximum=3)
    mode: int = el("Mode", INT, minimum=0, maximum=2)
    start_date: datetime = el("StartDate", DATETIME)
    expiration_date: datetime | None = el("ExpirationDate", DATETIME, optional=True, default=None)
    is_transferable: int = el("IsTransferable", INT, default=0, minimum=0, maximum=1)


class OperationStruct(Struct):
    """Abstract ChangeDUState operation; concrete ones are sent with xsi:type."""

    __slots__ = ()
    XSI_TYPE: ClassVar[str] = ""


@_struct
class InstallOpStruct(OperationStruct):
    XSI_TYPE: ClassVar[str] = "InstallOpStruct"
    url: str = el("URL", STR)
    uuid: str | None = el("UUID", STR, optional=True, default=None)
    username: str | None = el("Username", STR, optional=True, default=None)
    password: str | None = el("Password", STR, optional=True, default=None)
    execution_env_ref: str | None = el("ExecutionEnvRef", STR, optional=True, default=None)


@_struct
class UpdateOpStruct(OperationStruct):
    XSI_TYPE: ClassVar[str] = "UpdateOpStruct"
    uuid: str | None = el("UUID", STR, optional=True, default=None)
    version: str | None = el("Version", STR, optional=True, default=None)
    url: str | None = el("URL", STR, optional=True, default=None)
    username: str | None = el("Username", STR, optional=True, default=None)
    password: str | None = el("Password", STR, optional=True, default=None)


@_struct
class UninstallOpStruct(OperationStruct):
    XSI_TYPE: ClassVar[str] = "UninstallOpStruct"
    uuid: str = el("UUID", STR)
    version: str | None = el("Version", STR, optional=True, default=None)
    execution_env_ref: str | None = el("ExecutionEnvRef", STR, optional=True, default=None)


OPERATION_TYPES: dict[str, type[OperationStruct]] = {
    c.XSI_TYPE: c for c in (InstallOpStruct, UpdateOpStruct, UninstallOpStruct)
}


@_struct
class OpResultStruct(Struct):
    uuid: str = el("UUID", STR)
    deployment_unit_ref: str = el("DeploymentUnitRef", STR, default="")
    version: str = el("Version", STR, default="")
    current_state: str = el("CurrentState", STR, default="Installed")
    resolved: bool = el("Resolved", BOOL, default=True)
    execution_unit_ref_list: str = el("ExecutionUnitRefList", STR, default="")
    start_time: datetime = el("StartTime", DATETIME, default=UNKNOWN_TIME)
    complete_time: datetime = el("CompleteTime", DATETIME, default=UNKNOWN_TIME)
    fault: DeploymentUnitFaultStruct = el(
        "Fault", STRUCT, cls=DeploymentUnitFaultStruct, default=DeploymentUnitFaultStruct()
    )


@_struct
class AutonOpResultStruct(Struct):
    uuid: str = el("UUID", STR)
    deployment_unit_ref: str = el("DeploymentUnitRef", STR, default="")
    version: str = el("Version", STR, default="")
    current_state: str = el("CurrentState", STR, default="Installed")
    resolved: bool = el("Resolved", BOOL, default=True)
    execution_unit_ref_list: str = el("ExecutionUnitRefList", STR, default="")
    start_time: datetime = el("StartTime", DATETIME, default=UNKNOWN_TIME)
    complete_time: datetime = el("CompleteTime", DATETIME, default=UNKNOWN_TIME)
    fault: DeploymentUnitFaultStruct = el(
        "Fault", STRUCT, cls=DeploymentUnitFaultStruct, default=DeploymentUnitFaultStruct()
    )
    operation_performed: str = el("OperationPerformed", STR, default="Install")


# --- Fault ----------------------------------------------------------------------------------


@_struct
class Fault(Message):
    """A CWMP fault (SOAP Fault with detail/cwmp:Fault). Only ever a response.

    ``soap_fault_code`` is the SOAP faultcode local part ("Client"/"Server"); left None it is
    filled from the fault table, so a decoded fault records what the peer really sent.
    """

    METHOD: ClassVar[str] = "Fault"
    fault_code: int = el("FaultCode", INT, minimum=0, maximum=UINT_MAX)
    fault_string: str | None = el("FaultString", STR, optional=True, default=None)
    set_parameter_values_faults: tuple[SetParameterValuesFault, ...] = el(
        "SetParameterValuesFault", REPEAT, cls=SetParameterValuesFault, default=()
    )
    soap_fault_code: str | None = None
    soap_fault_string: str = "CWMP fault"

    def __post_init__(self) -> None:
        if self.soap_fault_code is None:
            from printbench.cwmp.faults import soap_fault_code

            object.__setattr__(self, "soap_fault_code", soap_fault_code(self.fault_code))

    @classmethod
    def of(cls, code: int, text: str | None = None, **kw: Any) -> Fault:
        """A fault with the standard FaultString unless ``text`` is given."""
        from printbench.cwmp.faults import fault_string

        return cls(code, fault_string(code) if text is None else text, **kw)


# --- responses (declared first so requests can name them) --------------------------------


_M = TypeVar("_M", bound=Message)


@dataclass_transform(frozen_default=True, field_specifiers=(field, el, _uint, _int))
def _message(method: str, response: type[Message] | None = None) -> Callable[[type[_M]], type[_M]]:
    """Make ``cls`` a frozen, slotted message dataclass for wire element ``method``.

    ``dataclass_transform`` tells the type checker what this decorator does, so a message
    built with a wrong, missing or extra field is reported where it is built.
    """

    def wrap(cls: type[_M]) -> type[_M]:
        cls = dataclass(frozen=True, slots=True)(cls)
        cls.METHOD = method
        cls.RESPONSE = response
        cls.IS_REQUEST = response is not None
        return cls

    return wrap


@_message("GetRPCMethodsResponse")
class GetRPCMethodsResponse(Message):
    method_list: tuple[str, ...] = el(
        "MethodList", ARRAY, item="string", array_type="xsd:string", default=()
    )


@_message("SetParameterValuesResponse")
class SetParameterValuesResponse(Message):
    status: int = el("Status", INT, default=0, minimum=0, maximum=1)


@_message("GetParameterValuesResponse")
class GetParameterValuesResponse(Message):
    parameter_list: tuple[ParameterValueStruct, ...] = el(
        "ParameterList",
        ARRAY,
        item="ParameterValueStruct",
        cls=ParameterValueStruct,
        array_type="cwmp:ParameterValueStruct",
        default=(),
    )


@_message("GetParameterNamesResponse")
class GetParameterNamesResponse(Message):
    parameter_list: tuple[ParameterInfoStruct, ...] = el(
        "ParameterList",
        ARRAY,
        item="ParameterInfoStruct",
        cls=ParameterInfoStruct,
        array_type="cwmp:ParameterInfoStruct",
        default=(),
    )


@_message("SetParameterAttributesResponse")
class SetParameterAttributesResponse(Message):
    pass


@_message("GetParameterAttributesResponse")
class GetParameterAttributesResponse(Message):
    parameter_list: tuple[ParameterAttributeStruct, ...] = el(
        "ParameterList",
        ARRAY,
        item="ParameterAttributeStruct",
        cls=ParameterAttributeStruct,
        array_type="cwmp:ParameterAttributeStruct",
        default=(),
    )


@_message("AddObjectResponse")
class AddObjectResponse(Message):
    instance_number: int = el("InstanceNumber", INT, minimum=1, maximum=UINT_MAX)
    status: int = el("Status", INT, default=0, minimum=0, maximum=1)


@_message("DeleteObjectResponse")
class DeleteObjectResponse(Message):
    status: int = el("Status", INT, default=0, minimum=0, maximum=1)


@_message("DownloadResponse")
class DownloadResponse(Message):
    status: int = el("Status", INT, default=1, minimum=0, maximum=1)
    start_time: datetime = el("StartTime", DATETIME, default=UNKNOWN_TIME)
    complete_time: datetime = el("CompleteTime", DATETIME, default=UNKNOWN_TIME)


@_message("RebootResponse")
class RebootResponse(Message):
    pass


@_message("UploadResponse")
class UploadResponse(Message):
    status: int = el("Status", INT, default=1, minimum=0, maximum=1)
    start_time: datetime = el("StartTime", DATETIME, default=UNKNOWN_TIME)
    complete_time: datetime = el("CompleteTime", DATETIME, default=UNKNOWN_TIME)


@_message("FactoryResetResponse")
class FactoryResetResponse(Message):
    pass


@_message("ScheduleInformResponse")
class ScheduleInformResponse(Message):
    pass


@_message("GetQueuedTransfersResponse")
class GetQueuedTransfersResponse(Message):
    transfer_list: tuple[QueuedTransferStruct, ...] = el(
        "TransferList",
        ARRAY,
        item="QueuedTransferStruct",
        cls=QueuedTransferStruct,
        array_type="cwmp:QueuedTransferStruct",
        default=(),
    )


@_message("GetAllQueuedTransfersResponse")
class GetAllQueuedTransfersResponse(Message):
    transfer_list: tuple[AllQueuedTransferStruct, ...] = el(
        "TransferList",
        ARRAY,
        item="AllQueuedTransferStruct",
        cls=AllQueuedTransferStruct,
        array_type="cwmp:AllQueuedTransferStruct",
        default=(),
    )


@_message("ScheduleDownloadResponse")
class ScheduleDownloadResponse(Message):
    pass


@_message("CancelTransferResponse")
class CancelTransferResponse(Message):
    pass


@_message("ChangeDUStateResponse")
class ChangeDUStateResponse(Message):
    pass


@_message("SetVouchersResponse")
class SetVouchersResponse(Message):
    pass


@_message("GetOptionsResponse")
class GetOptionsResponse(Message):
    option_list: tuple[OptionStruct, ...] = el(
        "OptionList",
        ARRAY,
        item="OptionStruct",
        cls=OptionStruct,
        array_type="cwmp:OptionStruct",
        default=(),
    )


@_message("InformResponse")
class InformResponse(Message):
    max_envelopes: int = _uint("MaxEnvelopes", default=1)


@_message("TransferCompleteResponse")
class TransferCompleteResponse(Message):
    pass


@_message("AutonomousTransferCompleteResponse")
class AutonomousTransferCompleteResponse(Message):
    pass


@_message("KickedResponse")
class KickedResponse(Message):
    next_url: str = el("NextURL", STR, default="")


@_message("RequestDownloadResponse")
class RequestDownloadResponse(Message):
    pass


@_message("DUStateChangeCompleteResponse")
class DUStateChangeCompleteResponse(Message):
    pass


@_message("AutonomousDUStateChangeCompleteResponse")
class AutonomousDUStateChangeCompleteResponse(Message):
    pass


# --- requests handled by the CPE (sent by the ACS) ---------------------------------------


@_message("GetRPCMethods", GetRPCMethodsResponse)
class GetRPCMethods(Message):
    """Both directions: the ACS asks the CPE and the CPE asks the ACS."""


@_message("SetParameterValues", SetParameterValuesResponse)
class SetParameterValues(Message):
    parameter_list: tuple[ParameterValueStruct, ...] = el(
        "ParameterList",
        ARRAY,
        item="ParameterValueStruct",
        cls=ParameterValueStruct,
        array_type="cwmp:ParameterValueStruct",
        default=(),
    )
    parameter_key: str = el("ParameterKey", STR, default="")


@_message("GetParameterValues", GetParameterValuesResponse)
class GetParameterValues(Message):
    parameter_names: tuple[str, ...] = el(
        "ParameterNames", ARRAY, item="string", array_type="xsd:string", default=()
    )


@_message("GetParameterNames", GetParameterNamesResponse)
class GetParameterNames(Message):
    parameter_path: str = el("ParameterPath", STR, default="")
    next_level: bool = el("NextLevel", BOOL, default=False)


@_message("SetParameterAttributes", SetParameterAttributesResponse)
class SetParameterAttributes(Message):
    parameter_list: tuple[SetParameterAttributesStruct, ...] = el(
        "ParameterList",
        ARRAY,
        item="SetParameterAttributesStruct",
        cls=SetParameterAttributesStruct,
        array_type="cwmp:SetParameterAttributesStruct",
        default=(),
    )


@_message("GetParameterAttributes", GetParameterAttributesResponse)
class GetParameterAttributes(Message):
    parameter_names: tuple[str, ...] = el(
        "ParameterNames", ARRAY, item="string", array_type="xsd:string", default=()
    )


@_message("AddObject", AddObjectResponse)
class AddObject(Message):
    object_name: str = el("ObjectName", STR)
    parameter_key: str = el("ParameterKey", STR, default="")


@_message("DeleteObject", DeleteObjectResponse)
class DeleteObject(Message):
    object_name: str = el("ObjectName", STR)
    parameter_key: str = el("ParameterKey", STR, default="")


@_message("Download", DownloadResponse)
class Download(Message):
    command_key: str = el("CommandKey", STR, default="")
    file_type: str = el("FileType", STR, default="1 Firmware Upgrade Image")
    url: str = el("URL", STR, default="")
    username: str = el("Username", STR, default="")
    password: str = el("Password", STR, default="")
    file_size: int = _uint("FileSize", default=0)
    target_file_name: str = el("TargetFileName", STR, default="")
    delay_seconds: int = _uint("DelaySeconds", default=0)
    success_url: str = el("SuccessURL", STR, default="")
    failure_url: str = el("FailureURL", STR, default="")


@_message("Reboot", RebootResponse)
class Reboot(Message):
    command_key: str = el("CommandKey", STR, default="")


@_message("Upload", UploadResponse)
class Upload(Message):
    command_key: str = el("CommandKey", STR, default="")
    file_type: str = el("FileType", STR, default="1 Vendor Configuration File")
    url: str = el("URL", STR, default="")
    username: str = el("Username", STR, default="")
    password: str = el("Password", STR, default="")
    delay_seconds: int = _uint("DelaySeconds", default=0)


@_message("FactoryReset", FactoryResetResponse)
class FactoryReset(Message):
    pass


@_message("ScheduleInform", ScheduleInformResponse)
class ScheduleInform(Message):
    delay_seconds: int = _uint("DelaySeconds", default=0)
    command_key: str = el("CommandKey", STR, default="")


@_message("GetQueuedTransfers", GetQueuedTransfersResponse)
class GetQueuedTransfers(Message):
    pass


@_message("GetAllQueuedTransfers", GetAllQueuedTransfersResponse)
class GetAllQueuedTransfers(Message):
    pass


@_message("ScheduleDownload", ScheduleDownloadResponse)
class ScheduleDownload(Message):
    command_key: str = el("CommandKey", STR, default="")
    file_type: str = el("FileType", STR, default="1 Firmware Upgrade Image")
    url: str = el("URL", STR, default="")
    username: str = el("Username", STR, default="")
    password: str = el("Password", STR, default="")
    file_size: int = _uint("FileSize", default=0)
    target_file_name: str = el("TargetFileName", STR, default="")
    time_window_list: tuple[TimeWindowStruct, ...] = el(
        "TimeWindowList",
        ARRAY,
        item="TimeWindowStruct",
        cls=TimeWindowStruct,
        array_type="cwmp:TimeWindowStruct",
        default=(),
    )


@_message("CancelTransfer", CancelTransferResponse)
class CancelTransfer(Message):
    command_key: str = el("CommandKey", STR, default="")


@_message("ChangeDUState", ChangeDUStateResponse)
class ChangeDUState(Message):
    operations: tuple[OperationStruct, ...] = el("Operations", OPERATION, default=())
    command_key: str | None = el("CommandKey", STR, optional=True, default=None)


@_message("SetVouchers", SetVouchersResponse)
class SetVouchers(Message):
    voucher_list: tuple[str, ...] = el(
        "VoucherList", ARRAY, item="base64", array_type="SOAP-ENC:base64", default=()
    )


@_message("GetOptions", GetOptionsResponse)
class GetOptions(Message):
    option_name: str = el("OptionName", STR, default="")


# --- requests handled by the ACS (sent by the CPE) ---------------------------------------


@_message("Inform", InformResponse)
class Inform(Message):
    device_id: DeviceIdStruct = el("DeviceId", STRUCT, cls=DeviceIdStruct)
    event: tuple[EventStruct, ...] = el(
        "Event",
        ARRAY,
        item="EventStruct",
        cls=EventStruct,
        array_type="cwmp:EventStruct",
        default=(),
    )
    max_envelopes: int = _uint("MaxEnvelopes", default=1)
    current_time: datetime = el("CurrentTime", DATETIME, default=UNKNOWN_TIME)
    retry_count: int = _uint("RetryCount", default=0)
    parameter_list: tuple[ParameterValueStruct, ...] = el(
        "ParameterList",
        ARRAY,
        item="ParameterValueStruct",
        cls=ParameterValueStruct,
        array_type="cwmp:ParameterValueStruct",
        default=(),
    )


@_message("TransferComplete", TransferCompleteResponse)
class TransferComplete(Message):
    command_key: str = el("CommandKey", STR, default="")
    fault_struct: FaultStruct = el("FaultStruct", STRUCT, cls=FaultStruct, default=FaultStruct())
    start_time: datetime = el("StartTime", DATETIME, default=UNKNOWN_TIME)
    complete_time: datetime = el("CompleteTime", DATETIME, default=UNKNOWN_TIME)


@_message("AutonomousTransferComplete", AutonomousTransferCompleteResponse)
class AutonomousTransferComplete(Message):
    announce_url: str = el("AnnounceURL", STR, default="")
    transfer_url: str = el("TransferURL", STR, default="")
    is_download: bool = el("IsDownload", BOOL, default=True)
    file_type: str = el("FileType", STR, default="1 Firmware Upgrade Image")
    file_size: int = _uint("FileSize", default=0)
    target_file_name: str = el("TargetFileName", STR, default="")
    fault_struct: FaultStruct = el("FaultStruct", STRUCT, cls=FaultStruct, default=FaultStruct())
    start_time: datetime = el("StartTime", DATETIME, default=UNKNOWN_TIME)
    complete_time: datetime = el("CompleteTime", DATETIME, default=UNKNOWN_TIME)


@_message("Kicked", KickedResponse)
class Kicked(Message):
    command: str = el("Command", STR, default="")
    referer: str = el("Referer", STR, default="")
    arg: str = el("Arg", STR, default="")
    next: str = el("Next", STR, default="")


@_message("RequestDownload", RequestDownloadResponse)
class RequestDownload(Message):
    file_type: str = el("FileType", STR, default="1 Firmware Upgrade Image")
    file_type_arg: tuple[ArgStruct, ...] = el(
        "FileTypeArg",
        ARRAY,
        item="ArgStruct",
        cls=ArgStruct,
        array_type="cwmp:ArgStruct",
        default=(),
    )


@_message("DUStateChangeComplete", DUStateChangeCompleteResponse)
class DUStateChangeComplete(Message):
    results: tuple[OpResultStruct, ...] = el("Results", REPEAT, cls=OpResultStruct, default=())
    command_key: str | None = el("CommandKey", STR, optional=True, default=None)


@_message("AutonomousDUStateChangeComplete", AutonomousDUStateChangeCompleteResponse)
class AutonomousDUStateChangeComplete(Message):
    results: tuple[AutonOpResultStruct, ...] = el(
        "Results", REPEAT, cls=AutonOpResultStruct, default=()
    )


# --- registries ------------------------------------------------------------------------------

#: Requests the CPE handles (ACS → CPE), per cwmp-1-2.xsd Annex A.3.1, A.3.2, A.4.1.
CPE_METHODS: tuple[type[Message], ...] = (
    GetRPCMethods,
    SetParameterValues,
    GetParameterValues,
    GetParameterNames,
    SetParameterAttributes,
    GetParameterAttributes,
    AddObject,
    DeleteObject,
    Reboot,
    Download,
    Upload,
    FactoryReset,
    ScheduleInform,
    GetQueuedTransfers,
    GetAllQueuedTransfers,
    ScheduleDownload,
    CancelTransfer,
    ChangeDUState,
    SetVouchers,
    GetOptions,
)

#: Requests the ACS handles (CPE → ACS), Annex A.3.1, A.3.3, A.4.2.
ACS_METHODS: tuple[type[Message], ...] = (
    Inform,
    TransferComplete,
    AutonomousTransferComplete,
    RequestDownload,
    DUStateChangeComplete,
    AutonomousDUStateChangeComplete,
    Kicked,
    GetRPCMethods,
)

REQUESTS: tuple[type[Message], ...] = (*CPE_METHODS, *ACS_METHODS[:-1])
RESPONSES: tuple[type[Message], ...] = tuple(
    dict.fromkeys(c.RESPONSE for c in REQUESTS if c.RESPONSE is not None)
)
ALL_MESSAGES: tuple[type[Message], ...] = (*REQUESTS, *RESPONSES, Fault)
BY_METHOD: dict[str, type[Message]] = {c.METHOD: c for c in ALL_MESSAGES}

#: Messages that exist in each namespace's schema (cwmp-1-0 lacks the later additions).
_NOT_IN_1_0 = {
    "GetAllQueuedTransfers",
    "GetAllQueuedTransfersResponse",
    "AutonomousTransferComplete",
    "AutonomousTransferCompleteResponse",
}
_NOT_IN_1_1 = {
    "ScheduleDownload",
    "ScheduleDownloadResponse",
    "CancelTransfer",
    "CancelTransferResponse",
    "ChangeDUState",
    "ChangeDUStateResponse",
    "DUStateChangeComplete",
    "DUStateChangeCompleteResponse",
    "AutonomousDUStateChangeComplete",
    "AutonomousDUStateChangeCompleteResponse",
}


def methods_in_namespace(namespace: str) -> frozenset[str]:
    """Element names defined by the schema of ``namespace``."""
    names = set(BY_METHOD)
    if namespace == CWMP_1_0:
        return frozenset(names - _NOT_IN_1_0 - _NOT_IN_1_1)
    if namespace == CWMP_1_1:
        return frozenset(names - _NOT_IN_1_1)
    return frozenset(names)


@dataclass(frozen=True, slots=True)
class Envelope:
    """One SOAP envelope: the CWMP header fields and at most one body message.

    ``supported_cwmp_versions`` is the parsed comma list of the 1.4 header;
    ``no_more_requests`` is the legacy (pre-Amendment 1) header, kept so quirk modes can send
    it and a bench can see that a peer did.
    """

    body: Message | None
    id: str | None = None
    hold_requests: bool | None = None
    session_timeout: int | None = None
    supported_cwmp_versions: tuple[str, ...] | None = None
    use_cwmp_version: str | None = None
    no_more_requests: bool | None = None
    namespace: str = CWMP_1_2

    @property
    def method(self) -> str | None:
        """The body element name, or None for an empty Body."""
        return None if self.body is None else self.body.METHOD
