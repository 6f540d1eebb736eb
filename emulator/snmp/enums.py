"""Keyword → number tables for every enumerated SNMP object the printer agent serves.

The device state speaks in keywords (``toner``, ``electrophotographicLaser``, ``coverOpen``);
the MIBs speak in numbers. All the translations live here, in one module, so that a profile
keyword the MIB does not know is found by one test rather than by a manager in the field.

Sources: IANA-PRINTER-MIB (2016-09-14, the TCs of RFC 3805), RFC 3805 (Printer-MIB),
RFC 2790 (HOST-RESOURCES-MIB), PWG 5106.1 (PWG-IMAGING-COUNTER-MIB).
"""

from __future__ import annotations

from collections.abc import Mapping

# The IANA-PRINTER-MIB textual conventions are defined once, with the profile schema that
# validates keywords against them; the agent maps the same keywords to numbers.
from printbench.emulator import profile_schema as ps


class UnknownKeyword(KeyError):
    """A state keyword has no number in the named textual convention."""


def enum_value(table: Mapping[str, int], keyword: str, tc: str, default: int | None = 1) -> int:
    """The number of ``keyword`` in ``table`` (textual convention ``tc``).

    Unknown keywords map to ``default`` (``other(1)`` in almost every printer TC) so that a
    device keeps answering; pass ``default=None`` to get :class:`UnknownKeyword` instead.
    """
    value = table.get(keyword)
    if value is not None:
        return value
    if default is None:
        raise UnknownKeyword(f"{tc} has no value for keyword {keyword!r}")
    return default


PRT_COVER_STATUS: dict[str, int] = {
    "other": 1,
    "unknown": 2,
    "coverOpen": 3,
    "coverClosed": 4,
    "interlockOpen": 5,
    "interlockClosed": 6,
    # the state's short forms
    "open": 3,
    "closed": 4,
}

PRT_GENERAL_RESET: dict[str, int] = {
    "notResetting": 3,
    "powerCycleReset": 4,
    "resetToNVRAM": 5,
    "resetToFactoryDefaults": 6,
}

PRT_INPUT_TYPE: dict[str, int] = ps.PRT_INPUT_TYPE

PRT_OUTPUT_TYPE: dict[str, int] = ps.PRT_OUTPUT_TYPE

PRT_OUTPUT_STACKING_ORDER: dict[str, int] = {"unknown": 2, "firstToLast": 3, "lastToFirst": 4}

PRT_OUTPUT_PAGE_DELIVERY: dict[str, int] = {"faceUp": 3, "faceDown": 4}

PRT_MARKER_MARK_TECH: dict[str, int] = ps.PRT_MARK_TECH

#: PrtMarkerCounterUnitTC, also PrtMediaUnitTC / PrtMarkerAddressabilityUnitTC subsets.
PRT_MARKER_COUNTER_UNIT: dict[str, int] = ps.PRT_COUNTER_UNIT

PRT_MARKER_SUPPLIES_TYPE: dict[str, int] = ps.PRT_SUPPLY_TYPE

PRT_MARKER_SUPPLIES_CLASS: dict[str, int] = {
    "other": 1,
    "supplyThatIsConsumed": 3,
    "receptacleThatIsFilled": 4,
}

PRT_MARKER_SUPPLIES_SUPPLY_UNIT: dict[str, int] = ps.PRT_SUPPLY_UNIT

PRT_MARKER_COLORANT_ROLE: dict[str, int] = {"other": 1, "process": 3, "spot": 4}

PRT_MEDIA_PATH_TYPE: dict[str, int] = ps.PRT_MEDIA_PATH_TYPE

PRT_CHANNEL_TYPE: dict[str, int] = ps.PRT_CHANNEL_TYPE

PRT_INTERPRETER_LANG_FAMILY: dict[str, int] = ps.PRT_LANG_FAMILY

PRT_PRINT_ORIENTATION: dict[str, int] = {"other": 1, "portrait": 3, "landscape": 4}

PRT_CONSOLE_COLOR: dict[str, int] = ps.PRT_CONSOLE_COLOR

PRT_CONSOLE_DISABLE: dict[str, int] = {"enabled": 3, "disabled": 4}

PRT_ALERT_SEVERITY: dict[str, int] = {
    "other": 1,
    "critical": 3,
    "warning": 4,
    "warningBinaryChangeEvent": 5,
}

PRT_ALERT_TRAINING: dict[str, int] = {
    "other": 1,
    "unknown": 2,
    "untrained": 3,
    "trained": 4,
    "fieldService": 5,
    "management": 6,
    "noInterventionRequired": 7,
}

PRT_ALERT_GROUP: dict[str, int] = {
    "other": 1,
    "unknown": 2,
    "hostResourcesMIBStorageTable": 3,
    "hostResourcesMIBDeviceTable": 4,
    "generalPrinter": 5,
    "cover": 6,
    "localization": 7,
    "input": 8,
    "output": 9,
    "marker": 10,
    "markerSupplies": 11,
    "markerColorant": 12,
    "mediaPath": 13,
    "channel": 14,
    "interpreter": 15,
    "consoleDisplayBuffer": 16,
    "consoleLights": 17,
    "alert": 18,
    "finDevice": 30,
    "finSupply": 31,
    "finSupplyMediaInput": 32,
    "finAttribute": 33,
}

PRT_ALERT_CODE: dict[str, int] = {
    "other": 1,
    "unknown": 2,
    "coverOpen": 3,
    "coverClosed": 4,
    "interlockOpen": 5,
    "interlockClosed": 6,
    "configurationChange": 7,
    "jam": 8,
    "subunitMissing": 9,
    "subunitLifeAlmostOver": 10,
    "subunitLifeOver": 11,
    "subunitAlmostEmpty": 12,
    "subunitEmpty": 13,
    "subunitAlmostFull": 14,
    "subunitFull": 15,
    "subunitNearLimit": 16,
    "subunitAtLimit": 17,
    "subunitOpened": 18,
    "subunitClosed": 19,
    "subunitTurnedOn": 20,
    "subunitTurnedOff": 21,
    "subunitOffline": 22,
    "subunitPowerSaver": 23,
    "subunitWarmingUp": 24,
    "subunitAdded": 25,
    "subunitRemoved": 26,
    "subunitResourceAdded": 27,
    "subunitResourceRemoved": 28,
    "subunitRecoverableFailure": 29,
    "subunitUnrecoverableFailure": 30,
    "subunitRecoverableStorageError": 31,
    "subunitUnrecoverableStorageError": 32,
    "subunitMotorFailure": 33,
    "subunitMemoryExhausted": 34,
    "subunitUnderTemperature": 35,
    "subunitOverTemperature": 36,
    "subunitTimingFailure": 37,
    "subunitThermistorFailure": 38,
    "doorOpen": 501,
    "doorClosed": 502,
    "powerUp": 503,
    "powerDown": 504,
    "printerNMSReset": 505,
    "printerManualReset": 506,
    "printerReadyToPrint": 507,
    "inputMediaTrayMissing": 801,
    "inputMediaSizeChange": 802,
    "inputMediaWeightChange": 803,
    "inputMediaTypeChange": 804,
    "inputMediaColorChange": 805,
    "inputMediaFormPartsChange": 806,
    "inputMediaSupplyLow": 807,
    "inputMediaSupplyEmpty": 808,
    "inputManualInputRequest": 809,
    "inputManualInputComplete": 810,
    "outputMediaTrayMissing": 901,
    "outputMediaTrayAlmostFull": 902,
    "outputMediaTrayFull": 903,
    "outputMailboxSelectFailure": 904,
    "markerFuserUnderTemperature": 1001,
    "markerFuserOverTemperature": 1002,
    "markerFuserTimingFailure": 1003,
    "markerFuserThermistorFailure": 1004,
    "markerAdjustingPrintQuality": 1005,
    "markerTonerEmpty": 1101,
    "markerInkEmpty": 1102,
    "markerPrintRibbonEmpty": 1103,
    "markerTonerAlmostEmpty": 1104,
    "markerInkAlmostEmpty": 1105,
    "markerPrintRibbonAlmostEmpty": 1106,
    "markerWasteTonerReceptacleAlmostFull": 1107,
    "markerWasteInkReceptacleAlmostFull": 1108,
    "markerWasteTonerReceptacleFull": 1109,
    "markerWasteInkReceptacleFull": 1110,
    "markerOpcLifeAlmostOver": 1111,
    "markerOpcLifeOver": 1112,
    "markerDeveloperAlmostEmpty": 1113,
    "markerDeveloperEmpty": 1114,
    "markerTonerCartridgeMissing": 1115,
    "mediaPathMediaTrayMissing": 1301,
    "mediaPathMediaTrayAlmostFull": 1302,
    "mediaPathMediaTrayFull": 1303,
    "mediaPathCannotDuplexMediaSelected": 1304,
    "interpreterMemoryIncrease": 1501,
    "interpreterMemoryDecrease": 1502,
    "interpreterCartridgeAdded": 1503,
    "interpreterCartridgeDeleted": 1504,
    "interpreterResourceAdded": 1505,
    "interpreterResourceDeleted": 1506,
    "interpreterResourceUnavailable": 1507,
    "interpreterComplexPageEncountered": 1509,
    "alertRemovalOfBinaryChangeEntry": 1801,
}

#: HOST-RESOURCES-MIB hrDeviceStatus.
HR_DEVICE_STATUS: dict[str, int] = {
    "unknown": 1,
    "running": 2,
    "warning": 3,
    "testing": 4,
    "down": 5,
}

#: HOST-RESOURCES-MIB hrPrinterStatus.
HR_PRINTER_STATUS: dict[str, int] = {
    "other": 1,
    "unknown": 2,
    "idle": 3,
    "printing": 4,
    "warmup": 5,
}

#: hrPrinterDetectedErrorState bit numbers (bit 0 = most significant bit of the first octet).
HR_PRINTER_ERROR_BITS: dict[str, int] = {
    "lowPaper": 0,
    "noPaper": 1,
    "lowToner": 2,
    "noToner": 3,
    "doorOpen": 4,
    "jammed": 5,
    "offline": 6,
    "serviceRequested": 7,
    "inputTrayMissing": 8,
    "outputTrayMissing": 9,
    "markerSupplyMissing": 10,
    "outputNearFull": 11,
    "outputFull": 12,
    "inputTrayEmpty": 13,
    "overduePreventMaint": 14,
}

#: IPP printer-state-reasons keyword (without -report/-warning/-error) → error-state bits.
IPP_REASON_ERROR_BITS: dict[str, tuple[str, ...]] = {
    "media-low": ("lowPaper",),
    "media-empty": ("noPaper", "inputTrayEmpty"),
    "media-needed": ("noPaper",),
    "toner-low": ("lowToner",),
    "toner-empty": ("noToner",),
    "marker-supply-low": ("lowToner",),
    "marker-supply-empty": ("noToner",),
    "marker-supply-missing": ("markerSupplyMissing",),
    "toner-cartridge-missing": ("markerSupplyMissing",),
    "door-open": ("doorOpen",),
    "cover-open": ("doorOpen",),
    "interlock-open": ("doorOpen",),
    "media-jam": ("jammed",),
    "offline": ("offline",),
    "shutdown": ("offline",),
    "input-tray-missing": ("inputTrayMissing",),
    "output-tray-missing": ("outputTrayMissing",),
    "output-area-almost-full": ("outputNearFull",),
    "output-area-full": ("outputFull",),
    "marker-waste-almost-full": ("serviceRequested",),
    "marker-waste-full": ("serviceRequested",),
    "fuser-over-temp": ("serviceRequested",),
    "fuser-under-temp": ("serviceRequested",),
    "opc-life-over": ("serviceRequested",),
    "developer-empty": ("serviceRequested",),
    "interpreter-resource-unavailable": ("serviceRequested",),
    "service-needed": ("serviceRequested",),  # not IPP-registered; some profiles use it
}

#: prtAlertCode keyword → error-state bits (what a printer with that alert row reports).
ALERT_CODE_ERROR_BITS: dict[str, tuple[str, ...]] = {
    "coverOpen": ("doorOpen",),
    "interlockOpen": ("doorOpen",),
    "doorOpen": ("doorOpen",),
    "jam": ("jammed",),
    "subunitOffline": ("offline",),
    "inputMediaSupplyLow": ("lowPaper",),
    "inputMediaSupplyEmpty": ("noPaper", "inputTrayEmpty"),
    "inputMediaTrayMissing": ("inputTrayMissing",),
    "outputMediaTrayMissing": ("outputTrayMissing",),
    "outputMediaTrayAlmostFull": ("outputNearFull",),
    "outputMediaTrayFull": ("outputFull",),
    "markerTonerAlmostEmpty": ("lowToner",),
    "markerInkAlmostEmpty": ("lowToner",),
    "markerTonerEmpty": ("noToner",),
    "markerInkEmpty": ("noToner",),
    "markerTonerCartridgeMissing": ("markerSupplyMissing",),
    "subunitMissing": ("markerSupplyMissing",),
    "markerWasteTonerReceptacleFull": ("serviceRequested",),
    "markerWasteInkReceptacleFull": ("serviceRequested",),
    "markerOpcLifeOver": ("serviceRequested",),
    "markerDeveloperEmpty": ("serviceRequested",),
    "subunitLifeOver": ("serviceRequested",),
    "markerFuserUnderTemperature": ("serviceRequested",),
    "markerFuserOverTemperature": ("serviceRequested",),
}

#: hrStorageType OIDs (HOST-RESOURCES-TYPES).
HR_STORAGE_TYPES: dict[str, tuple[int, ...]] = {
    "other": (1, 3, 6, 1, 2, 1, 25, 2, 1, 1),
    "ram": (1, 3, 6, 1, 2, 1, 25, 2, 1, 2),
    "virtualMemory": (1, 3, 6, 1, 2, 1, 25, 2, 1, 3),
    "disk": (1, 3, 6, 1, 2, 1, 25, 2, 1, 4),
    "fixedDisk": (1, 3, 6, 1, 2, 1, 25, 2, 1, 4),
    "removableDisk": (1, 3, 6, 1, 2, 1, 25, 2, 1, 5),
    "floppyDisk": (1, 3, 6, 1, 2, 1, 25, 2, 1, 6),
    "compactDisc": (1, 3, 6, 1, 2, 1, 25, 2, 1, 7),
    "ramDisk": (1, 3, 6, 1, 2, 1, 25, 2, 1, 8),
    "flash": (1, 3, 6, 1, 2, 1, 25, 2, 1, 9),
    "flashMemory": (1, 3, 6, 1, 2, 1, 25, 2, 1, 9),
    "networkDisk": (1, 3, 6, 1, 2, 1, 25, 2, 1, 10),
}

#: hrDeviceType OIDs (HOST-RESOURCES-TYPES).
HR_DEVICE_PROCESSOR = (1, 3, 6, 1, 2, 1, 25, 3, 1, 3)
HR_DEVICE_NETWORK = (1, 3, 6, 1, 2, 1, 25, 3, 1, 4)
HR_DEVICE_PRINTER = (1, 3, 6, 1, 2, 1, 25, 3, 1, 5)

#: IANA character set MIBenum for UTF-8 (IANA-CHARSET-MIB).
CHARSET_UTF8 = 106

#: PWG-IMAGING-COUNTER-MIB enumerations used by the served rows.
IC_SERVICE_TYPE_SYSTEM_TOTALS = 3
IC_PERSISTENCE_LIFETIME = 3
IC_WORK_TYPE_WORK_TOTALS = 3
IC_SERVICE_STATE: dict[str, int] = {
    "other": 1,
    "unknown": 2,
    "idle": 3,
    "processing": 4,
    "stopped": 5,
    "testing": 6,
    "down": 7,
}

#: Every table above with its TC name, for the tests and for the docs.
ALL_TABLES: dict[str, Mapping[str, int]] = {
    "PrtCoverStatusTC": PRT_COVER_STATUS,
    "PrtGeneralResetTC": PRT_GENERAL_RESET,
    "PrtInputTypeTC": PRT_INPUT_TYPE,
    "PrtOutputTypeTC": PRT_OUTPUT_TYPE,
    "PrtOutputStackingOrderTC": PRT_OUTPUT_STACKING_ORDER,
    "PrtOutputPageDeliveryOrientationTC": PRT_OUTPUT_PAGE_DELIVERY,
    "PrtMarkerMarkTechTC": PRT_MARKER_MARK_TECH,
    "PrtMarkerCounterUnitTC": PRT_MARKER_COUNTER_UNIT,
    "PrtMarkerSuppliesTypeTC": PRT_MARKER_SUPPLIES_TYPE,
    "PrtMarkerSuppliesClassTC": PRT_MARKER_SUPPLIES_CLASS,
    "PrtMarkerSuppliesSupplyUnitTC": PRT_MARKER_SUPPLIES_SUPPLY_UNIT,
    "PrtMarkerColorantRoleTC": PRT_MARKER_COLORANT_ROLE,
    "PrtMediaPathTypeTC": PRT_MEDIA_PATH_TYPE,
    "PrtChannelTypeTC": PRT_CHANNEL_TYPE,
    "PrtInterpreterLangFamilyTC": PRT_INTERPRETER_LANG_FAMILY,
    "PrtPrintOrientationTC": PRT_PRINT_ORIENTATION,
    "PrtConsoleColorTC": PRT_CONSOLE_COLOR,
    "PrtConsoleDisableTC": PRT_CONSOLE_DISABLE,
    "PrtAlertSeverityLevelTC": PRT_ALERT_SEVERITY,
    "PrtAlertTrainingLevelTC": PRT_ALERT_TRAINING,
    "PrtAlertGroupTC": PRT_ALERT_GROUP,
    "PrtAlertCodeTC": PRT_ALERT_CODE,
    "hrDeviceStatus": HR_DEVICE_STATUS,
    "hrPrinterStatus": HR_PRINTER_STATUS,
}
