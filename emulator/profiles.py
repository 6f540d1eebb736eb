"""Printer models (profiles/*.yaml) and building a printer's state from one.

A profile says what a model *is* (vendor, OIDs, subunits, supplies, defaults, SNMP and TR-069
settings); :func:`build_printer` turns it plus a seed into one unit of that model, with its
own identity from :mod:`emulator.identity`. Validation is two-step: the schema
(:mod:`emulator.profile_schema`) checks keys, types and keywords; :func:`_check_consistency`
checks that the parts agree with each other (colorant references, capacities, duplex
defaults). Both report ``file:line: path: what was expected``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from printbench.common.clock import Clock, SystemClock
from printbench.common.settings import data_dirs, display_path
from printbench.emulator import state as st
from printbench.emulator.identity import make_identity
from printbench.emulator.profile_schema import INDEXED_TABLES, ProfileError, validate_text
from printbench.emulator.software import inventory_from_profile

__all__ = [
    "Profile",
    "ProfileError",
    "build_printer",
    "list_profiles",
    "load_profile",
    "profiles_dir",
]


def profile_dirs() -> list[Path]:
    """Where named profiles are looked for, first match wins: the folders of
    ``PRINTBENCH_PROFILES`` (``printbench --profiles-dir`` sets it, so fleet workers inherit
    it), then the built-in ``printbench.profiles`` package data."""
    return data_dirs("printbench.profiles", "PRINTBENCH_PROFILES")


def profiles_dir() -> Path:
    """The first folder profiles are looked for in (the user's, when one is set)."""
    return profile_dirs()[0]


def _profile_file(name: str) -> Path | None:
    for folder in profile_dirs():
        candidate = folder / f"{name}.yaml"
        if candidate.is_file():
            return candidate
    return None


@dataclass
class Profile:
    """A validated printer model."""

    name: str
    source: str  # the file it came from (for messages)
    data: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def manufacturer(self) -> str:
        return self.data["identity"]["manufacturer"]

    @property
    def model(self) -> str:
        return self.data["identity"]["model"]

    def line(self, path: str) -> int:
        """The line of ``path`` (or of its nearest parent) in the profile's file."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path.rpartition(".")[0] if "." in path else ""
        return 1


def list_profiles() -> list[str]:
    """The names of the profiles shipped (file stems), sorted."""
    return sorted({p.stem for folder in profile_dirs() for p in folder.glob("*.yaml")})


def load_profile(name_or_path: str | os.PathLike[str]) -> Profile:
    """A profile by name (``color-laser-mfp``) or by path to a YAML file."""
    text_name = os.fspath(name_or_path)
    path = Path(text_name)
    if not (path.suffix in (".yaml", ".yml") or os.sep in text_name or "/" in text_name):
        found = _profile_file(text_name)
        if found is None:
            known = ", ".join(list_profiles()) or "none"
            raise ProfileError(f"no profile named {text_name!r} (profiles: {known})")
        path = found
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc.strerror or exc}") from None
    return parse_profile(text, source=_display(path), name=path.stem)


def parse_profile(text: str, *, source: str = "<profile>", name: str = "") -> Profile:
    """A profile from YAML text (``source`` names it in messages)."""
    located = validate_text(text, source)
    data = located.value
    declared = data.get("name")
    if declared and name and declared not in (name, normal_name(name)):
        line = located.lines.get("name", 1)
        raise ProfileError(
            f"{source}:{line}: name: expected the file's name {name!r}, got {declared!r}"
        )
    profile = Profile(declared or name or "profile", source, data, located.lines)
    _check_consistency(profile)
    return profile


def _check_software(sw: dict[str, Any], fail: Callable[[str, str], ProfileError]) -> None:
    """Module rows name an ExecEnv of the profile; names and UUIDs are not repeated (a
    second DU with one UUID in one EE is TR-069's 9026 Duplicate Deployment Unit)."""
    ees = [e["name"] for e in sw.get("exec_envs", [])]
    for i, name in enumerate(ees, 1):
        if name in ees[: i - 1]:
            raise fail(f"software.exec_envs[{i}].name", f"expected a new name, got {name!r}")
    seen: set[tuple[str, str]] = set()
    for i, mod in enumerate(sw.get("modules", []), 1):
        if mod["exec_env"] not in ees:
            raise fail(
                f"software.modules[{i}].exec_env",
                f"expected one of software.exec_envs ({', '.join(ees) or 'none defined'}), "
                f"got {mod['exec_env']!r}",
            )
        key = (mod["exec_env"], (mod.get("uuid") or mod.get("vendor", "") + mod["name"]).lower())
        if key in seen:
            raise fail(f"software.modules[{i}]", "expected a module not listed before (9026)")
        seen.add(key)


def normal_name(text: str) -> str:
    """The profile name a file name stands for: ``Brother_HL5370DW`` → ``brother-hl5370dw``
    (profile names are lower case, digits and ``-``; file names often are not)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


_display = display_path


# ---------------------------------------------------------------------------------------------
# Consistency between the parts of a profile
# ---------------------------------------------------------------------------------------------


def _check_consistency(p: Profile) -> None:
    d = p.data

    def fail(path: str, message: str) -> ProfileError:
        return ProfileError(f"{p.source}:{p.line(path)}: {path}: {message}")

    for table in INDEXED_TABLES:
        seen: set[int] = set()
        for i, r in enumerate(d.get(table, []), 1):
            n = r.get("index", i)
            if n in seen:
                raise fail(f"{table}[{i}].index", f"expected an index not used before, got {n}")
            seen.add(n)
    markers = d["markers"]
    colorants = d.get("colorants", [])
    for i, c in enumerate(colorants, 1):
        if c.get("marker_index", 1) > len(markers):
            raise fail(f"colorants[{i}].marker_index", f"expected a marker 1..{len(markers)}")
    names = [c.get("value", "black") for c in colorants]
    for i, s in enumerate(d.get("supplies", []), 1):
        if s.get("marker_index", 1) > len(markers):
            raise fail(f"supplies[{i}].marker_index", f"expected a marker 1..{len(markers)}")
        if "colorant" in s:
            if "colorant_index" in s:
                raise fail(f"supplies[{i}].colorant", "give colorant or colorant_index, not both")
            if s["colorant"] not in names:
                raise fail(
                    f"supplies[{i}].colorant",
                    f"expected one of the colorants ({', '.join(names) or 'none defined'}), "
                    f"got {s['colorant']!r}",
                )
        elif s.get("colorant_index", 0) > len(colorants):
            raise fail(f"supplies[{i}].colorant_index", f"expected 0..{len(colorants)}")
        mx, lvl = s.get("max_capacity", 100), s.get("level", s.get("max_capacity", 100))
        if mx >= 0 and lvl > mx:
            raise fail(f"supplies[{i}].level", f"expected at most max_capacity {mx}, got {lvl}")
    for m_index, m in enumerate(markers, 1):
        process = sum(
            1
            for c in colorants
            if c.get("marker_index", 1) == m_index and c.get("role", "process") == "process"
        )
        if colorants and m.get("process_colorants", 1) != process:
            raise fail(
                f"markers[{m_index}].process_colorants",
                f"expected {process} (the process colorants listed for this marker), "
                f"got {m.get('process_colorants', 1)}",
            )
    _check_software(d.get("software") or {}, fail)
    colour = any(m.get("process_colorants", 1) > 1 for m in markers)
    desc = d["description"]
    if desc.get("color_supported", False) != colour:
        raise fail(
            "description.color_supported",
            f"expected {str(colour).lower()} (a marker has "
            f"{'more than one' if colour else 'only one'} process colorant)",
        )
    media = desc.get(
        "media_supported", st.Description.__dataclass_fields__["media_supported"].default
    )
    for i, t in enumerate(d["input_trays"], 1):
        cap, lvl = t.get("capacity", 250), t.get("level", t.get("capacity", 250))
        if cap >= 0 and lvl > cap:
            raise fail(f"input_trays[{i}].level", f"expected at most capacity {cap}, got {lvl}")
        tm = t.get("media", "iso_a4_210x297mm")
        if tm not in media:
            raise fail(
                f"input_trays[{i}].media",
                f"expected one of description.media_supported, got {tm!r}",
            )
    for i, t in enumerate(d["output_trays"], 1):
        cap, rem = t.get("capacity", 150), t.get("remaining_capacity", t.get("capacity", 150))
        if cap >= 0 and rem > cap:
            raise fail(
                f"output_trays[{i}].remaining_capacity",
                f"expected at most capacity {cap}, got {rem}",
            )
    for i, ch in enumerate(d.get("channels", []), 1):
        if ch.get("interpreter_index", 1) > len(d["interpreters"]):
            raise fail(f"channels[{i}].interpreter_index", f"expected 1..{len(d['interpreters'])}")
    defaults = d.get("defaults", {})
    if defaults.get("media", "iso_a4_210x297mm") not in media:
        raise fail(
            "defaults.media",
            f"expected one of description.media_supported, got {defaults.get('media', 'iso_a4_210x297mm')!r}",
        )
    duplex = any(
        mp.get("path_type", "longEdgeBindingDuplex").endswith("Duplex") for mp in d["media_paths"]
    )
    if defaults.get("sides", "one-sided") != "one-sided" and not duplex:
        raise fail("defaults.sides", "expected one-sided (no media path is a duplex path)")
    if defaults.get("color_mode", "monochrome") == "color" and not colour:
        raise fail("defaults.color_mode", "expected monochrome or auto on a monochrome printer")
    if desc.get("pages_per_minute_color", 0) and not colour:
        raise fail("description.pages_per_minute_color", "expected 0 on a monochrome printer")


# ---------------------------------------------------------------------------------------------
# Building a printer
# ---------------------------------------------------------------------------------------------


def build_printer(
    profile: str | Profile,
    *,
    seed: int = 0,
    clock: Clock | None = None,
    host: str = "127.1.0.1",
) -> st.PrinterState:
    """One unit of ``profile``: its state with a per-seed identity, booted at ``clock`` now."""
    p = profile if isinstance(profile, Profile) else load_profile(profile)
    clock = clock or SystemClock()
    d = p.data
    ident = d["identity"]
    dev = make_identity(
        model_key=p.name,
        manufacturer=ident["manufacturer"],
        model=ident["model"],
        oui=ident["oui"],
        serial_format=ident["serial_format"],
        host=host,
        seed=seed,
        locale=ident.get("locale", "en_US"),
        hostname_format=ident.get("hostname_format", ""),
    )
    recorded = d.get("recording", {})
    keep = recorded.get("keep_identity", False)
    serial = recorded.get("serial_number") or dev.serial_number if keep else dev.serial_number
    identity = st.Identity(
        manufacturer=ident["manufacturer"],
        model=ident["model"],
        serial_number=serial,
        oui=ident["oui"],
        product_class=ident["product_class"],
        hardware_version=ident.get("hardware_version", "1.0"),
        software_version=ident.get("software_version", "1.0.0"),
        sys_object_id=ident["sys_object_id"],
        uuid=dev.uuid,
        asset_number=dev.asset_number,
    )
    desc_data = dict(d["description"])
    desc_data.setdefault("make_and_model", f"{ident['manufacturer']} {ident['model']}")
    description = st.Description(
        name=recorded.get("sys_name", dev.hostname) if keep else dev.hostname,
        location=recorded.get("sys_location", dev.location) if keep else dev.location,
        contact_name=recorded.get("sys_contact", dev.contact_name) if keep else dev.contact_name,
        contact_email=dev.contact_email,
        contact_phone=dev.contact_phone,
        **desc_data,
    )
    colorants = [st.Colorant(index=i, **c) for i, c in enumerate(d.get("colorants", []), 1)]
    by_name = {c.value: c.index for c in colorants}
    supplies = []
    for i, s in enumerate(d.get("supplies", []), 1):
        s = {"index": i, **s}
        if "colorant" in s:
            s["colorant_index"] = by_name[s.pop("colorant")]
        s.setdefault("level", s.get("max_capacity", 100))
        supplies.append(st.Supply(**s))
    consoles = []
    for i, c in enumerate(d["consoles"], 1):
        c = dict(c)
        lights = [st.ConsoleLight(index=j, **lt) for j, lt in enumerate(c.pop("lights", []), 1)]
        consoles.append(st.Console(index=i, lights=lights, **c))
    trays = []
    for i, t in enumerate(d["input_trays"], 1):
        t = {"index": i, **t}
        t.setdefault("level", t.get("capacity", 250))
        trays.append(st.InputTray(**t))
    outputs = []
    for i, t in enumerate(d["output_trays"], 1):
        t = {"index": i, **t}
        t.setdefault("remaining_capacity", t.get("capacity", 150))
        outputs.append(st.OutputTray(**t))
    interfaces = []
    recorded_macs = recorded.get("mac_addresses", ())
    for i, itf in enumerate(d["interfaces"], 1):
        mac = dev.mac_address if i == 1 else _nth_mac(dev.mac_address, i - 1)
        if keep and i <= len(recorded_macs) and recorded_macs[i - 1]:
            mac = recorded_macs[i - 1]
        interfaces.append(
            st.Interface(
                index=itf.get("index", i),
                mac_address=mac,
                ipv4_address=dev.ipv4_address if i == 1 else "0.0.0.0",
                subnet_mask=dev.subnet_mask if i == 1 else "0.0.0.0",
                gateway=dev.gateway if i == 1 else "0.0.0.0",
                hostname=dev.hostname,
                dhcp=itf.get("dhcp", False),
                **{k: v for k, v in itf.items() if k not in ("dhcp", "index")},
            )
        )

    def rows(key: str, cls: type) -> list[Any]:
        return [cls(**{"index": i, **r}) for i, r in enumerate(d.get(key, []), 1)]

    def section(key: str, cls: type, **extra: Any) -> Any:
        return cls(**{**d.get(key, {}), **extra})

    finishers = []
    for i, f in enumerate(d.get("finishers", []), 1):
        f = dict(f)
        f.setdefault("remaining_capacity", f.get("capacity", 1000))
        finishers.append(st.Finisher(index=i, **f))
    state = st.PrinterState(
        profile=p.name,
        identity=identity,
        description=description,
        status=st.Status(
            boot_monotonic=clock.monotonic(),
            service_requested=recorded.get("service_requested", False),
            config_changes=recorded.get("config_changes", 0),
        ),
        counters=st.Counters(),
        defaults=section("defaults", st.Defaults),
        consoles=consoles,
        covers=rows("covers", st.Cover),
        input_trays=trays,
        output_trays=outputs,
        markers=rows("markers", st.Marker),
        colorants=colorants,
        supplies=supplies,
        media_paths=rows("media_paths", st.MediaPath),
        interfaces=interfaces,
        interpreters=rows("interpreters", st.Interpreter),
        channels=rows("channels", st.Channel),
        storages=rows("storages", st.Storage),
        processors=rows("processors", st.Processor),
        finishers=finishers,
        network=section("network", st.NetworkServices),
        snmp=section("snmp", st.SnmpConfig),
        time=section("time", st.TimeConfig),
        email_alerts=section("email_alerts", st.EmailAlerts),
        finishing=section("finishing", st.FinishingConfig),
        print_settings=section("print_settings", st.PrintSettings),
        management=section("management", st.Management),
        admin=section("admin", st.Admin),
        recording=_recording(recorded, identity, interfaces),
        next_alert_index=recorded.get("alert_all_events", 0) + 1,
        critical_alert_count=recorded.get("alert_critical_events", 0),
        ipp=section("ipp", st.IppConfig),
        software=st.SoftwareModules(
            inventory=inventory_from_profile(d.get("software"))
        ),
    )
    return state


def _recording(
    recorded: dict[str, Any], identity: st.Identity, interfaces: list[st.Interface]
) -> st.Recording:
    """The recorded rows of this unit: with its own identity, the recorded unit's serial
    number and MAC addresses inside the rows (vendor objects repeat them) become this unit's."""
    rows = tuple(recorded.get("rows", ()))
    if not recorded.get("keep_identity", False):
        swaps: list[tuple[str, str]] = []
        serial = recorded.get("serial_number", "")
        if len(serial) >= 4:
            swaps.append((serial, identity.serial_number))
        for old, itf in zip(recorded.get("mac_addresses", ()), interfaces, strict=False):
            if old:
                new = itf.mac_address
                for fmt in (lambda m: m, lambda m: m.replace(":", "")):
                    swaps += [(fmt(old), fmt(new)), (fmt(old).upper(), fmt(new).upper())]
        if swaps:
            rows = tuple(_swap_row(r, swaps) for r in rows)
    return st.Recording(
        source=recorded.get("source", ""),
        rows=rows,
        error_state_octets=recorded.get("error_state_octets", 2),
    )


def _swap_row(row: str, swaps: list[tuple[str, str]]) -> str:
    oid, tag, value = row.split("|", 2)
    if tag == "4x":  # hex: the MAC as six octets
        for old, new in swaps:
            if len(old) == 12 and ":" not in old and old.islower():
                value = value.replace(old, new).replace(old.upper(), new.upper())
        return f"{oid}|{tag}|{value}"
    if tag != "4":
        return row
    for old, new in swaps:
        value = value.replace(old, new)
    return f"{oid}|{tag}|{value}"


def _nth_mac(mac: str, n: int) -> str:
    value = (int(mac.replace(":", ""), 16) + n) & 0xFFFFFFFFFFFF
    raw = f"{value:012x}"
    return ":".join(raw[i : i + 2] for i in range(0, 12, 2))
