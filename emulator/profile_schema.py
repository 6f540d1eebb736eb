"""The schema of a printer profile (YAML) and its validation with file:line messages.

Profiles are read with PyYAML's composer, which keeps every node's position, and checked
against a schema derived from the state dataclasses in :mod:`emulator.state` (the profile's
keys are the state's field names, so the two cannot drift apart). A problem is reported as
``profiles/x.yaml:12: supplies[2].supply_type: expected one of toner, ink, ... got 'tonerr'``.
Only the schema lives here; turning a validated profile into a state is ``emulator.profiles``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from printbench.emulator import state as st


class ProfileError(ValueError):
    """A profile is malformed; the message names the file, line and what was expected."""


# ---------------------------------------------------------------------------------------------
# Keywords (IANA-PRINTER-MIB textual conventions and IPP keywords) accepted in profiles
# ---------------------------------------------------------------------------------------------


def _seq(*names: str) -> dict[str, int]:
    """A textual convention numbered 1, 2, 3, ... in the order given."""
    return {name: i for i, name in enumerate(names, 1)}


PRT_INPUT_TYPE = _seq(
    "other",
    "unknown",
    "sheetFeedAutoRemovableTray",
    "sheetFeedAutoNonRemovableTray",
    "sheetFeedManual",
    "continuousRoll",
    "continuousFanFold",
    "sheetFeedPull",
)
PRT_OUTPUT_TYPE = _seq(
    "other",
    "unknown",
    "removableBin",
    "unRemovableBin",
    "continuousRollDevice",
    "mailBox",
    "continuousFanFold",
)
PRT_STACKING_ORDER = {"unknown": 2, "firstToLast": 3, "lastToFirst": 4}
PRT_PAGE_DELIVERY = {"faceUp": 3, "faceDown": 4}
PRT_MARK_TECH = _seq(
    "other",
    "unknown",
    "electrophotographicLED",
    "electrophotographicLaser",
    "electrophotographicOther",
    "impactMovingHeadDotMatrix9pin",
    "impactMovingHeadDotMatrix24pin",
    "impactMovingHeadDotMatrixOther",
    "impactMovingHeadFullyFormed",
    "impactBand",
    "impactOther",
    "inkjetAqueous",
    "inkjetSolid",
    "inkjetOther",
    "pen",
    "thermalTransfer",
    "thermalSensitive",
    "thermalDiffusion",
    "thermalOther",
    "electroerosion",
    "electrostatic",
    "photographicMicrofiche",
    "photographicImagesetter",
    "photographicOther",
    "ionDeposition",
    "eBeam",
    "typesetter",
)
PRT_COUNTER_UNIT = {
    "tenThousandthsOfInches": 3,
    "micrometers": 4,
    "characters": 5,
    "lines": 6,
    "impressions": 7,
    "sheets": 8,
    "dotRow": 9,
    "hours": 11,
    "feet": 16,
    "meters": 17,
}
PRT_SUPPLY_TYPE = _seq(
    "other",
    "unknown",
    "toner",
    "wasteToner",
    "ink",
    "inkCartridge",
    "inkRibbon",
    "wasteInk",
    "opc",
    "developer",
    "fuserOil",
    "solidWax",
    "ribbonWax",
    "wasteWax",
    "fuser",
    "coronaWire",
    "fuserOilWick",
    "cleanerUnit",
    "fuserCleaningPad",
    "transferUnit",
    "tonerCartridge",
    "fuserOiler",
    "water",
    "wasteWater",
    "glueWaterAdditive",
    "wastePaper",
    "bindingSupply",
    "bandingSupply",
    "stitchingWire",
    "shrinkWrap",
    "paperWrap",
    "staples",
    "inserts",
    "covers",
    "matteToner",
    "matteInk",
)
PRT_SUPPLY_CLASS = {"other": 1, "supplyThatIsConsumed": 3, "receptacleThatIsFilled": 4}
PRT_SUPPLY_UNIT = {
    "other": 1,
    "unknown": 2,
    "tenThousandthsOfInches": 3,
    "micrometers": 4,
    "impressions": 7,
    "sheets": 8,
    "hours": 11,
    "thousandthsOfOunces": 12,
    "tenthsOfGrams": 13,
    "hundrethsOfFluidOunces": 14,
    "tenthsOfMilliliters": 15,
    "feet": 16,
    "meters": 17,
    "items": 18,
    "percent": 19,
}
PRT_COLORANT_ROLE = {"other": 1, "process": 3, "spot": 4}
PRT_MEDIA_PATH_TYPE = _seq(
    "other", "unknown", "longEdgeBindingDuplex", "shortEdgeBindingDuplex", "simplex"
)
PRT_LANG_FAMILY = _seq(
    "other", "unknown", "langPCL", "langHPGL", "langPJL", "langPS", "langIPDS", "langPPDS",
    "langEscapeP", "langEpson", "langDDIF", "langInterpress", "langISO6429", "langLineData",
    "langMODCA", "langREGIS", "langSCS", "langSPDL", "langTEK4014", "langPDS", "langIGP",
    "langCodeV", "langDSCDSE", "langWPS", "langLN03", "langCCITT", "langQUIC", "langCPAP",
    "langDecPPL", "langSimpleText", "langNPAP", "langDOC", "langimPress", "langPinwriter",
    "langNPDL", "langNEC201PL", "langAutomatic", "langPages", "langLIPS", "langTIFF",
    "langDiagnostic", "langPSPrinter", "langCaPSL", "langEXCL", "langLCDS", "langXES",
    "langPCLXL", "langART", "langTIPSI", "langPrescribe", "langLinePrinter", "langIDP",
    "langXJCL", "langPDF", "langRPDL", "langIntermecIPL", "langUBIFingerprint",
    "langUBIDirectProtocol", "langFujitsu", "langCGM", "langJPEG", "langCALS1", "langCALS2",
    "langNIRS", "langC4", "langXPS", "langOpenXPS", "langJDF", "langJMF", "langPPML",
    "langXHTMLPrint", "langPDFis", "langPDF13", "langPDF14", "langPDF15", "langPDF16",
    "langPDF17", "langPS2", "langPS3", "langPCL3", "langPCL3GUI", "langPCL5e", "langPCL5c",
    "langPWGRaster", "langAppleRaster",
)  # fmt: skip
PRT_CHANNEL_TYPE = _seq(
    "other", "unknown", "chSerialPort", "chParallelPort", "chIEEE1284Port", "chSCSIPort",
    "chAppleTalkPAP", "chLPDServer", "chNetwareRPrinter", "chNetwarePServer", "chPort9100",
    "chAppSocket", "chFTP", "chTFTP", "chDLCLLCPort", "chIBM3270", "chIBM5250", "chFax",
    "chIEEE1394", "chTransport1", "chCPAP", "chDCERemoteProcCall", "chONCRemoteProcCall",
    "chOLE", "chNamedPipe", "chPCPrint", "chServerMessageBlock", "chDPMF", "chDLLAPI",
    "chVxDAPI", "chSystemObjectManager", "chDECLAT", "chNPAP", "chUSB", "chIRDA",
    "chPrintXChange", "chPortTCP", "chBidirPortTCP", "chUNPP", "chAppleTalkADSP", "chPortSPX",
    "chPortHTTP", "chNDPS", "chIPP", "chSMTP", "chWSPrint",
)  # fmt: skip
#: prtCoverStatus numbers for the state's keywords (the state says open/closed).
PRT_COVER_STATUS = {
    "other": 1,
    "unknown": 2,
    "open": 3,
    "closed": 4,
    "interlockOpen": 5,
    "interlockClosed": 6,
}
PRT_CONSOLE_COLOR = _seq(
    "other", "unknown", "white", "red", "green", "blue", "cyan", "magenta", "yellow", "orange"
)

INPUT_TYPES = tuple(PRT_INPUT_TYPE)
OUTPUT_TYPES = tuple(PRT_OUTPUT_TYPE)
STACKING_ORDERS = tuple(PRT_STACKING_ORDER)
PAGE_DELIVERY = tuple(PRT_PAGE_DELIVERY)
MARK_TECHS = tuple(PRT_MARK_TECH)
COUNTER_UNITS = tuple(PRT_COUNTER_UNIT)
SUPPLY_TYPES = tuple(PRT_SUPPLY_TYPE)
SUPPLY_CLASSES = tuple(PRT_SUPPLY_CLASS)
SUPPLY_UNITS = tuple(PRT_SUPPLY_UNIT)
COLORANT_ROLES = tuple(PRT_COLORANT_ROLE)
MEDIA_PATH_TYPES = tuple(PRT_MEDIA_PATH_TYPE)
LANG_FAMILIES = tuple(PRT_LANG_FAMILY)
CHANNEL_TYPES = tuple(PRT_CHANNEL_TYPE)
COVER_STATES = tuple(PRT_COVER_STATUS)
LIGHT_COLORS = tuple(PRT_CONSOLE_COLOR)
STORAGE_TYPES = ("ram", "disk", "flash", "nvram", "other")
FINISHER_TYPES = (
    "other",
    "unknown",
    "stitcher",
    "folder",
    "binder",
    "trimmer",
    "dieCutter",
    "puncher",
    "perforater",
    "slitter",
    "separationCutter",
    "imprinter",
    "wrapper",
    "bander",
    "makeEnvelope",
    "stacker",
    "sheetRotator",
    "inserter",
)
SIDES = ("one-sided", "two-sided-long-edge", "two-sided-short-edge")
ORIENTATIONS = ("portrait", "landscape", "reverse-landscape", "reverse-portrait")
QUALITIES = ("draft", "normal", "high")
COLOR_MODES = ("monochrome", "color", "auto")
MEDIA_MISMATCH = ("stop", "override-a4-letter", "print-on-loaded")  # IppConfig.media_mismatch
RES_UNITS = ("dpi", "dpcm")
AUTH_PROTOCOLS = ("MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512")
PRIV_PROTOCOLS = ("DES", "AES", "AES192", "AES256")
CWMP_VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4")

# ---------------------------------------------------------------------------------------------
# Schema description
# ---------------------------------------------------------------------------------------------

Check = Callable[[Any], "str | None"]  # returns what was expected, or None if fine


@dataclass
class Field:
    """One key of a mapping: its kind, whether it must be present, allowed keywords."""

    kind: Any  # "str" "int" "float" "bool" "strlist" | Section | Table
    required: bool = False
    enum: tuple[str, ...] | None = None
    check: Check | None = None


@dataclass
class Section:
    """A mapping with known keys."""

    fields: dict[str, Field]


@dataclass
class Table:
    """A list of mappings (rows); ``min_rows`` rows at least."""

    row: Section
    min_rows: int = 0


_KINDS = {
    "str": "str",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "tuple[str, ...]": "strlist",
}


def section_from(
    cls: type,
    *,
    exclude: tuple[str, ...] = (),
    enums: dict[str, tuple[str, ...]] | None = None,
    checks: dict[str, Check] | None = None,
    extra: dict[str, Field] | None = None,
    optional: tuple[str, ...] = (),
) -> Section:
    """A section whose keys are the fields of dataclass ``cls`` (``index`` is never given)."""
    enums = enums or {}
    checks = checks or {}
    out: dict[str, Field] = {}
    for f in dataclasses.fields(cls):
        if f.name in exclude or f.name == "index" or f.name.startswith("_"):
            continue
        kind = _KINDS.get(str(f.type))
        if kind is None:
            continue  # nested nodes and tables are added explicitly through ``extra``
        has_default = (
            f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        )
        out[f.name] = Field(
            kind,
            required=not has_default and f.name not in optional,
            enum=enums.get(f.name),
            check=checks.get(f.name),
        )
    out.update(extra or {})
    return Section(out)


def _regex(pattern: str, what: str) -> Check:
    rx = re.compile(pattern)
    return lambda v: None if rx.fullmatch(v) else what


def _range(lo: int | None, hi: int | None = None) -> Check:
    def check(v: Any) -> str | None:
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            if hi is None:
                return f"a number >= {lo}"
            return f"a number from {lo} to {hi}"
        return None

    return check


_UUID = _regex(
    r"[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}",
    "an RFC 4122 UUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301 (cwmp-1-2.xsd)",
)
_EXEC_ENV = Section(
    {
        "name": Field("str", required=True),
        "type": Field("str", required=True),
        "vendor": Field("str"),
        "version": Field("str"),
        "enabled": Field("bool"),
        "disk_space": Field("int", check=_range(0)),  # KiB, 0: unbounded
    }
)
_MODULE_UNIT = Section(
    {
        "name": Field("str", required=True),
        "vendor": Field("str"),
        "version": Field("str"),
        "description": Field("str"),
        "auto_start": Field("bool"),
    }
)
_MODULE = Section(
    {
        "name": Field("str", required=True),
        "version": Field("str", required=True),
        "exec_env": Field("str", required=True),  # the name of one of exec_envs
        "vendor": Field("str"),
        "description": Field("str"),
        "uuid": Field("str", check=_UUID),
        "url": Field("str"),
        "size": Field("int", check=_range(0)),
        "units": Field(Table(_MODULE_UNIT)),
    }
)
SOFTWARE = Section({"exec_envs": Field(Table(_EXEC_ENV)), "modules": Field(Table(_MODULE))})


def _mime_list(v: tuple[str, ...]) -> str | None:
    bad = [x for x in v if not re.fullmatch(r"[a-z0-9.+-]+/[a-zA-Z0-9.+-]+", x)]
    return f"MIME media types like application/pdf (bad: {', '.join(bad)})" if bad else None


_LEVEL = _range(-3)  # RFC 3805 sentinels -1 other, -2 unknown, -3 some remaining

IDENTITY = Section(
    {
        "manufacturer": Field("str", required=True),
        "model": Field("str", required=True),
        "product_class": Field("str", required=True),
        "oui": Field(
            "str", required=True, check=_regex(r"[0-9A-F]{6}", "six upper-case hex digits")
        ),
        "sys_object_id": Field(
            "str",
            required=True,
            check=_regex(
                r"1\.3\.6\.1\.4\.1\.[0-9]+(\.[0-9]+)*", "an enterprise OID 1.3.6.1.4.1.N..."
            ),
        ),
        "hardware_version": Field("str"),
        "software_version": Field("str"),
        "serial_format": Field(
            "str",
            required=True,
            check=_regex(
                r".*[#?].*", "a pattern with # (digit) and/or ? (letter), e.g. CNB#######"
            ),
        ),
        "hostname_format": Field(
            "str"
        ),  # e.g. "NPI{mac6}" ({mac6}: last six hex digits of the MAC)
        "locale": Field("str", check=_regex(r"[a-z]{2}_[A-Z]{2}", "a Faker locale like en_US")),
    }
)

LIGHT = section_from(
    st.ConsoleLight,
    enums={"color": LIGHT_COLORS},
    checks={"on_time": _range(0), "off_time": _range(0)},
)

SCHEMA = Section(
    {
        "schema_version": Field("int", check=_range(1, 1)),
        "name": Field(
            "str", check=_regex(r"[a-z0-9][a-z0-9-]*", "a lower-case name like color-laser-mfp")
        ),
        "summary": Field("str", required=True),
        "source": Field("str"),
        "identity": Field(IDENTITY, required=True),
        "description": Field(
            section_from(
                st.Description,
                exclude=("name", "location", "contact_name", "contact_email", "contact_phone"),
                checks={
                    "pages_per_minute": _range(1, 1000),
                    "pages_per_minute_color": _range(0, 1000),
                    "document_formats": _mime_list,
                },
            ),
            required=True,
        ),
        "defaults": Field(
            section_from(
                st.Defaults,
                enums={
                    "sides": SIDES,
                    "orientation": ORIENTATIONS,
                    "print_quality": QUALITIES,
                    "color_mode": COLOR_MODES,
                    "resolution_units": RES_UNITS,
                },
                checks={"copies": _range(1, 9999)},
            )
        ),
        "snmp": Field(
            section_from(
                st.SnmpConfig,
                enums={"v3_auth_protocol": AUTH_PROTOCOLS, "v3_priv_protocol": PRIV_PROTOCOLS},
                checks={
                    "v3_auth_key": _regex(r".{8,}", "at least 8 characters (RFC 3414)"),
                    "v3_priv_key": _regex(r".{8,}", "at least 8 characters (RFC 3414)"),
                },
            )
        ),
        "management": Field(
            section_from(
                st.Management,
                enums={"cwmp_version": CWMP_VERSIONS},
                checks={"periodic_inform_interval": _range(1)},
            )
        ),
        "network": Field(section_from(st.NetworkServices)),
        "time": Field(section_from(st.TimeConfig)),
        "email_alerts": Field(section_from(st.EmailAlerts)),
        "finishing": Field(section_from(st.FinishingConfig)),
        "print_settings": Field(section_from(st.PrintSettings, checks={"darkness": _range(1, 5)})),
        "admin": Field(section_from(st.Admin)),
        # The software modules the model ships with (TR-181 Device.SoftwareModules.):
        # execution environments and the modules (DUs) installed in them, by EE name.
        "software": Field(SOFTWARE),
        "ipp": Field(
            section_from(
                st.IppConfig,
                enums={
                    "media_mismatch": MEDIA_MISMATCH,
                    # the access policy (emulator/ipp/access.py)
                    "admin_operations": ("admin", "open"),
                    "admin_identity": ("basic", "requesting-user-name"),
                    "job_operations": ("owner", "open"),
                },
                checks={
                    "multiple_operation_time_out": _range(1, 86400),
                    "max_held_jobs": _range(1, 100000),
                    "max_held_jobs_per_user": _range(1, 100000),
                    "max_active_jobs": _range(1, 100000),
                },
            )
        ),
        "consoles": Field(
            Table(
                section_from(
                    st.Console,
                    checks={"display_lines": _range(1, 16), "display_chars": _range(8, 255)},
                    extra={"lights": Field(Table(LIGHT))},
                ),
                min_rows=1,
            ),
            required=True,
        ),
        "covers": Field(Table(section_from(st.Cover, enums={"status": COVER_STATES}))),
        "input_trays": Field(
            Table(
                section_from(
                    st.InputTray,
                    enums={"tray_type": INPUT_TYPES},
                    checks={"capacity": _LEVEL, "level": _LEVEL, "low_threshold": _range(0)},
                ),
                min_rows=1,
            ),
            required=True,
        ),
        "output_trays": Field(
            Table(
                section_from(
                    st.OutputTray,
                    enums={
                        "tray_type": OUTPUT_TYPES,
                        "stacking_order": STACKING_ORDERS,
                        "page_delivery": PAGE_DELIVERY,
                    },
                    checks={"capacity": _LEVEL, "remaining_capacity": _LEVEL},
                ),
                min_rows=1,
            ),
            required=True,
        ),
        "markers": Field(
            Table(
                section_from(
                    st.Marker,
                    enums={"technology": MARK_TECHS, "counter_unit": COUNTER_UNITS},
                    checks={
                        "life_count": _range(0),
                        "power_on_count": _range(0),
                        "process_colorants": _range(0, 16),
                    },
                ),
                min_rows=1,
            ),
            required=True,
        ),
        "colorants": Field(
            Table(
                section_from(
                    st.Colorant, enums={"role": COLORANT_ROLES}, checks={"marker_index": _range(1)}
                )
            )
        ),
        "supplies": Field(
            Table(
                section_from(
                    st.Supply,
                    exclude=("consumed_fraction",),
                    enums={
                        "supply_type": SUPPLY_TYPES,
                        "supply_class": SUPPLY_CLASSES,
                        "unit": SUPPLY_UNITS,
                    },
                    checks={
                        "marker_index": _range(1),
                        "colorant_index": _range(0),
                        "max_capacity": _LEVEL,
                        "level": _LEVEL,
                        "per_page": _range(0),
                        "low_percent": _range(0, 100),
                    },
                    extra={
                        "colorant": Field("str")
                    },  # a colorant's value, instead of colorant_index
                )
            )
        ),
        "media_paths": Field(
            Table(section_from(st.MediaPath, enums={"path_type": MEDIA_PATH_TYPES}), min_rows=1),
            required=True,
        ),
        "interfaces": Field(
            Table(
                section_from(
                    st.Interface,
                    exclude=(
                        "mac_address",
                        "ipv4_address",
                        "subnet_mask",
                        "gateway",
                        "hostname",
                        "in_octets",
                        "out_octets",
                    ),
                ),
                min_rows=1,
            ),
            required=True,
        ),
        "interpreters": Field(
            Table(
                section_from(
                    st.Interpreter,
                    enums={"lang_family": LANG_FAMILIES, "default_orientation": ORIENTATIONS},
                ),
                min_rows=1,
            ),
            required=True,
        ),
        "channels": Field(
            Table(
                section_from(
                    st.Channel,
                    enums={"channel_type": CHANNEL_TYPES},
                    checks={"interpreter_index": _range(1)},
                )
            )
        ),
        "storages": Field(Table(section_from(st.Storage, enums={"storage_type": STORAGE_TYPES}))),
        "processors": Field(
            Table(section_from(st.Processor, checks={"load_percent": _range(0, 100)}))
        ),
        "finishers": Field(
            Table(
                section_from(
                    st.Finisher,
                    enums={"finisher_type": FINISHER_TYPES},
                    checks={
                        "capacity": _LEVEL,
                        "remaining_capacity": _LEVEL,
                        "supply_level": _LEVEL,
                        "supply_max_capacity": _LEVEL,
                    },
                )
            )
        ),
    }
)


def _recorded_rows(rows: tuple[str, ...]) -> str | None:
    from printbench.emulator.snmp.recording import RowError, parse_row

    for n, row in enumerate(rows, 1):
        try:
            parse_row(row)
        except RowError as exc:
            return f"snmprec rows OID|TAG|VALUE (row {n}: {exc})"
    return None


def _mac_list(macs: tuple[str, ...]) -> str | None:
    bad = [m for m in macs if not re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}|", m)]
    return f"MAC addresses like 00:1b:a9:0b:a7:52 or '' (bad: {', '.join(bad)})" if bad else None


#: ``recording``: what ``printbench profile import`` kept of the real printer's walk.
RECORDING = Section(
    {
        "source": Field("str"),
        "rows": Field("strlist", check=_recorded_rows),
        "error_state_octets": Field("int", check=_range(0, 2)),
        "service_requested": Field("bool"),  # the printer reported serviceRequested
        # counters of the printer's life so far (prtGeneralConfigChanges, prtAlert*Events)
        "config_changes": Field("int", check=_range(0)),
        "alert_critical_events": Field("int", check=_range(0)),
        "alert_all_events": Field("int", check=_range(0)),
        # the recorded unit's identity; used only with keep_identity (else every unit has its
        # own, and these values are replaced by the unit's in the recorded rows)
        "keep_identity": Field("bool"),
        "serial_number": Field("str"),
        "mac_addresses": Field("strlist", check=_mac_list),
        "sys_name": Field("str"),
        "sys_contact": Field("str"),
        "sys_location": Field("str"),
    }
)
SCHEMA.fields["recording"] = Field(RECORDING)

#: Tables whose rows may give their instance number (``index``), as a recording has it; the
#: others are numbered 1, 2, 3, ... in the order given.
INDEXED_TABLES = ("input_trays", "output_trays", "supplies", "interfaces", "covers", "storages")
for _table in INDEXED_TABLES:
    SCHEMA.fields[_table].kind.row.fields["index"] = Field("int", check=_range(1, 2**31 - 1))


# ---------------------------------------------------------------------------------------------
# Validation against the YAML node tree
# ---------------------------------------------------------------------------------------------


@dataclass
class Located:
    """The validated value of a profile and where each part of it came from."""

    value: Any
    lines: dict[str, int] = field(default_factory=dict)  # dotted path -> 1-based line


class _Validator:
    def __init__(self, source: str, loader: yaml.SafeLoader) -> None:
        self.source = source
        self.loader = loader
        self.lines: dict[str, int] = {}

    def fail(self, node: yaml.Node, path: str, message: str) -> ProfileError:
        where = f"{self.source}:{node.start_mark.line + 1}"
        return ProfileError(f"{where}: {path}: {message}" if path else f"{where}: {message}")

    def value(self, node: yaml.Node, spec: Field, path: str, at: yaml.Node | None = None) -> Any:
        self.lines[path] = node.start_mark.line + 1
        kind = spec.kind
        if isinstance(kind, Section):
            return self.section(node, kind, path, at)
        if isinstance(kind, Table):
            if not isinstance(node, yaml.SequenceNode):
                raise self.fail(node, path, f"expected a list of mappings, got {_describe(node)}")
            if len(node.value) < kind.min_rows:
                raise self.fail(
                    node, path, f"expected at least {kind.min_rows} row(s), got {len(node.value)}"
                )
            return [
                self.section(item, kind.row, f"{path}[{i + 1}]")
                for i, item in enumerate(node.value)
            ]
        if kind == "strlist":
            if not isinstance(node, yaml.SequenceNode):
                raise self.fail(node, path, f"expected a list of strings, got {_describe(node)}")
            out = []
            for i, item in enumerate(node.value):
                v = self.scalar(item)
                if not isinstance(v, str):
                    raise self.fail(
                        item, f"{path}[{i + 1}]", f"expected a string, got {_describe(item)}"
                    )
                out.append(v)
            value: Any = tuple(out)
        else:
            value = self.scalar(node)
            ok = {
                "str": isinstance(value, str),
                "int": isinstance(value, int) and not isinstance(value, bool),
                "float": isinstance(value, (int, float)) and not isinstance(value, bool),
                "bool": isinstance(value, bool),
            }[kind]
            if not ok:
                expected = {
                    "str": "a string",
                    "int": "an integer",
                    "float": "a number",
                    "bool": "true or false",
                }[kind]
                raise self.fail(node, path, f"expected {expected}, got {_describe(node)}")
            if kind == "float":
                value = float(value)
        if spec.enum is not None and value not in spec.enum:
            raise self.fail(node, path, f"expected one of {', '.join(spec.enum)}, got {value!r}")
        if spec.check is not None:
            problem = spec.check(value)
            if problem:
                raise self.fail(node, path, f"expected {problem}, got {value!r}")
        return value

    def scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return _NotScalar
        return self.loader.construct_object(node)

    def section(
        self, node: yaml.Node, spec: Section, path: str, at: yaml.Node | None = None
    ) -> dict[str, Any]:
        """A mapping; ``at`` is the node of its key (where a missing key is reported)."""
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, path, f"expected a mapping, got {_describe(node)}")
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node)
            if not isinstance(key, str):
                raise self.fail(key_node, path, f"expected a key name, got {_describe(key_node)}")
            sub = f"{path}.{key}" if path else key
            if key in out:
                raise self.fail(key_node, sub, "duplicate key")
            if key not in spec.fields:
                raise self.fail(
                    key_node, sub, f"unknown key (expected one of {', '.join(spec.fields)})"
                )
            out[key] = self.value(value_node, spec.fields[key], sub, key_node)
        missing = [k for k, f in spec.fields.items() if f.required and k not in out]
        if missing:
            raise self.fail(at or node, path, f"missing required key(s): {', '.join(missing)}")
        return out


class _NotScalarType:
    pass


_NotScalar = _NotScalarType()


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    tag = node.tag.rsplit(":", 1)[-1]
    names = {
        "str": "string",
        "int": "integer",
        "float": "number",
        "bool": "boolean",
        "null": "null",
    }
    return f"{names.get(tag, tag)} {node.value!r}"


def validate_text(text: str, source: str) -> Located:
    """Parse and check a profile's YAML text; ``source`` names it in error messages."""
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 1
            raise ProfileError(f"{source}:{line}: not valid YAML: {exc.problem or exc}") from None
        except yaml.YAMLError as exc:
            raise ProfileError(f"{source}:1: not valid YAML: {exc}") from None
        if node is None:
            raise ProfileError(f"{source}:1: empty file, expected a profile mapping")
        validator = _Validator(source, loader)
        value = validator.section(node, SCHEMA, "")
        return Located(value, validator.lines)
    finally:
        loader.dispose()
