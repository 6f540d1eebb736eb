"""The SNMP objects and IPP attributes the mapping may name (name ↔ numeric OID).

A mapping row must name an object from this table, and its numeric OID must agree; the table
is the list of what the proxy supports, reviewed against RFC 3805/3806 (Printer MIB),
RFC 2790 (HOST-RESOURCES-MIB), RFC 2863 (IF-MIB), RFC 3418 (SNMPv2-MIB) and PWG 5106.3
(PWG-IMAGING-COUNTER-MIB). Column OIDs are without instance; the mapping's instance rule adds it.
"""

from __future__ import annotations

_SYS = "1.3.6.1.2.1.1"
_IF = "1.3.6.1.2.1.2.2.1"
_HR = "1.3.6.1.2.1.25"
_PRT = "1.3.6.1.2.1.43"
_IC = "1.3.6.1.4.1.2699.1.3.1"

#: name → (numeric OID, access "ro"/"rw")
OIDS: dict[str, tuple[str, str]] = {
    "sysDescr": (f"{_SYS}.1", "ro"),
    "sysObjectID": (f"{_SYS}.2", "ro"),
    "sysUpTime": (f"{_SYS}.3", "ro"),
    "sysContact": (f"{_SYS}.4", "rw"),
    "sysName": (f"{_SYS}.5", "rw"),
    "sysLocation": (f"{_SYS}.6", "rw"),
    "ifDescr": (f"{_IF}.2", "ro"),
    "ifType": (f"{_IF}.3", "ro"),
    "ifMtu": (f"{_IF}.4", "ro"),
    "ifSpeed": (f"{_IF}.5", "ro"),
    "ifPhysAddress": (f"{_IF}.6", "ro"),
    "ifAdminStatus": (f"{_IF}.7", "rw"),
    "ifOperStatus": (f"{_IF}.8", "ro"),
    "ifInOctets": (f"{_IF}.10", "ro"),
    "ifOutOctets": (f"{_IF}.16", "ro"),
    "ifName": ("1.3.6.1.2.1.31.1.1.1.1", "ro"),  # IF-MIB ifXTable
    "hrMemorySize": (f"{_HR}.2.2", "ro"),
    "hrStorageDescr": (f"{_HR}.2.3.1.3", "ro"),
    "hrStorageAllocationUnits": (f"{_HR}.2.3.1.4", "ro"),
    "hrStorageSize": (f"{_HR}.2.3.1.5", "rw"),
    "hrStorageUsed": (f"{_HR}.2.3.1.6", "ro"),
    "hrDeviceDescr": (f"{_HR}.3.2.1.3", "ro"),
    "hrDeviceStatus": (f"{_HR}.3.2.1.5", "ro"),
    "hrDeviceErrors": (f"{_HR}.3.2.1.6", "ro"),
    "hrPrinterStatus": (f"{_HR}.3.5.1.1", "ro"),
    "hrPrinterDetectedErrorState": (f"{_HR}.3.5.1.2", "ro"),
    "hrProcessorLoad": (f"{_HR}.3.3.1.2", "ro"),
    "prtGeneralConfigChanges": (f"{_PRT}.5.1.1.1", "ro"),
    "prtGeneralPrinterName": (f"{_PRT}.5.1.1.16", "rw"),
    "prtGeneralSerialNumber": (f"{_PRT}.5.1.1.17", "rw"),
    "prtAlertCriticalEvents": (f"{_PRT}.5.1.1.18", "ro"),
    "prtAlertAllEvents": (f"{_PRT}.5.1.1.19", "ro"),
    "prtCoverDescription": (f"{_PRT}.6.1.1.2", "ro"),
    "prtCoverStatus": (f"{_PRT}.6.1.1.3", "ro"),
    "prtInputType": (f"{_PRT}.8.2.1.2", "ro"),
    "prtInputMaxCapacity": (f"{_PRT}.8.2.1.9", "rw"),
    "prtInputCurrentLevel": (f"{_PRT}.8.2.1.10", "rw"),
    "prtInputStatus": (f"{_PRT}.8.2.1.11", "ro"),
    "prtInputMediaName": (f"{_PRT}.8.2.1.12", "rw"),
    "prtInputName": (f"{_PRT}.8.2.1.13", "rw"),
    "prtInputDescription": (f"{_PRT}.8.2.1.18", "ro"),
    "prtInputMediaType": (f"{_PRT}.8.2.1.21", "rw"),
    "prtInputMediaColor": (f"{_PRT}.8.2.1.22", "rw"),
    "prtOutputType": (f"{_PRT}.9.2.1.2", "ro"),
    "prtOutputMaxCapacity": (f"{_PRT}.9.2.1.4", "rw"),
    "prtOutputRemainingCapacity": (f"{_PRT}.9.2.1.5", "rw"),
    "prtOutputStatus": (f"{_PRT}.9.2.1.6", "ro"),
    "prtOutputName": (f"{_PRT}.9.2.1.7", "rw"),
    "prtMarkerMarkTech": (f"{_PRT}.10.2.1.2", "ro"),
    "prtMarkerCounterUnit": (f"{_PRT}.10.2.1.3", "ro"),
    "prtMarkerLifeCount": (f"{_PRT}.10.2.1.4", "ro"),
    "prtMarkerPowerOnCount": (f"{_PRT}.10.2.1.5", "ro"),
    "prtMarkerProcessColorants": (f"{_PRT}.10.2.1.6", "ro"),
    "prtMarkerSpotColorants": (f"{_PRT}.10.2.1.7", "ro"),
    "prtMarkerStatus": (f"{_PRT}.10.2.1.15", "ro"),
    "prtMarkerSuppliesColorantIndex": (f"{_PRT}.11.1.1.3", "ro"),
    "prtMarkerSuppliesClass": (f"{_PRT}.11.1.1.4", "ro"),
    "prtMarkerSuppliesType": (f"{_PRT}.11.1.1.5", "ro"),
    "prtMarkerSuppliesDescription": (f"{_PRT}.11.1.1.6", "ro"),
    "prtMarkerSuppliesSupplyUnit": (f"{_PRT}.11.1.1.7", "ro"),
    "prtMarkerSuppliesMaxCapacity": (f"{_PRT}.11.1.1.8", "rw"),
    "prtMarkerSuppliesLevel": (f"{_PRT}.11.1.1.9", "rw"),
    "prtMarkerColorantRole": (f"{_PRT}.12.1.1.3", "ro"),
    "prtMarkerColorantValue": (f"{_PRT}.12.1.1.4", "ro"),
    "prtMarkerColorantTonality": (f"{_PRT}.12.1.1.5", "ro"),
    "prtMediaPathMaxSpeed": (f"{_PRT}.13.4.1.4", "ro"),
    "prtMediaPathType": (f"{_PRT}.13.4.1.9", "ro"),
    "prtChannelType": (f"{_PRT}.14.1.1.2", "ro"),
    "prtChannelState": (f"{_PRT}.14.1.1.6", "rw"),
    "prtInterpreterLangFamily": (f"{_PRT}.15.1.1.2", "ro"),
    "prtInterpreterLangVersion": (f"{_PRT}.15.1.1.4", "ro"),
    "prtInterpreterVersion": (f"{_PRT}.15.1.1.6", "ro"),
    "prtConsoleDisplayBufferText": (f"{_PRT}.16.5.1.2", "rw"),
    "prtConsoleDescription": (f"{_PRT}.17.6.1.5", "ro"),
    "prtAlertSeverityLevel": (f"{_PRT}.18.1.1.2", "ro"),
    "prtAlertGroup": (f"{_PRT}.18.1.1.4", "ro"),
    "prtAlertCode": (f"{_PRT}.18.1.1.7", "ro"),
    "prtAlertDescription": (f"{_PRT}.18.1.1.8", "ro"),
    "prtAlertTime": (f"{_PRT}.18.1.1.9", "ro"),
    "icMediaUsedTotalSheets": (f"{_IC}.12.1.1.4", "ro"),
    "icMediaUsedMonochromeSheets": (f"{_IC}.12.1.1.5", "ro"),
    "icMediaUsedFullColorSheets": (f"{_IC}.12.1.1.7", "ro"),
    "icMediaUsedMediaSizeName": (f"{_IC}.12.1.1.9", "ro"),
    "icMediaUsedMediaInfo": (f"{_IC}.12.1.1.10", "ro"),
    "icMediaUsedMediaName": (f"{_IC}.12.1.1.11", "ro"),
}

#: IPP Printer attributes the mapping may name (RFC 8011, PWG 5100.x).
IPP_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "printer-name",
        "printer-info",
        "printer-location",
        "printer-make-and-model",
        "printer-device-id",
        "printer-more-info",
        "printer-contact-col",
        "printer-state",
        "printer-state-reasons",
        "printer-state-message",
        "printer-is-accepting-jobs",
        "printer-up-time",
        "printer-current-time",
        "printer-config-changes",
        "printer-uuid",
        "printer-supply",
        "printer-supply-description",
        "printer-input-tray",
        "printer-output-tray",
        "printer-alert",
        "printer-alert-description",
        "printer-impressions-completed",
        "printer-media-sheets-completed",
        "queued-job-count",
        "color-supported",
        "pages-per-minute",
        "pages-per-minute-color",
        "document-format-supported",
        "copies-default",
        "sides-default",
        "orientation-requested-default",
        "printer-resolution-default",
        "print-color-mode-default",
        "print-quality-default",
        "media-default",
        "finishings-default",
        "output-bin-default",
        "feed-orientation-default",
        "printer-firmware-string-version",
    }
)


def numeric(name: str) -> str:
    """The numeric OID of a supported object; KeyError names it."""
    try:
        return OIDS[name][0]
    except KeyError:
        raise KeyError(f"unsupported SNMP object {name!r}") from None


def name_of(numeric_oid: str) -> str | None:
    """The object whose column/scalar OID is a prefix of ``numeric_oid`` (longest wins)."""
    best = None
    for name, (oid, _) in OIDS.items():
        if (numeric_oid == oid or numeric_oid.startswith(oid + ".")) and (
            best is None or len(oid) > len(OIDS[best][0])
        ):
            best = name
    return best
