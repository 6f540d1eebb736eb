"""Scenario files: load YAML into :class:`Scenario` objects with line-numbered errors.

Why a composed YAML tree instead of ``yaml.safe_load``: every error must name the file, the
line and the step ("scenarios/hold.yaml:14: step 3 (rpc): unknown key 'arg'"), so the loader
walks PyYAML nodes, which keep their marks, and only then builds plain values. A file holds
one scenario per YAML document (``---`` separates several).

The metadata follows the shape of BBF TP-181 test cases (Purpose / References / Profiles /
Procedure / Metrics) and CDRouter's "Optional Functionality Tag": ``id``, ``title``,
``purpose``, ``reference``, ``area``, ``requirement`` (mandatory | optional), ``profiles``,
``targets``, ``via`` and the ``steps``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from printbench.common.settings import package_dir
from printbench.conformance.matchers import MatcherError
from printbench.conformance.steps import STEPS, StepSchemaError

#: The areas of the suite, in report order.
AREAS: tuple[str, ...] = (
    "parameters",
    "inform",
    "hold-requests",
    "transfer",
    "notifications",
    "connection-request",
    "rpc",
    "versions",
    "heartbeat",
    "transfers-cpe-initiated",
    "nat-traversal",
    "tls",
    "basic-setup",
    "localized-strings",
    "authentication",
    "engine",
    "diagnostics",
    "software-modules",
)
#: What a target can be (see conformance/targets.py).
TARGET_KINDS: tuple[str, ...] = ("builtin", "cpe", "proxy", "acs")
#: How a device is managed: its embedded TR-069 client, or the CWMP proxy in front of it.
VIA: tuple[str, ...] = ("embedded", "proxy")
REQUIREMENTS: tuple[str, ...] = ("mandatory", "optional")

_META_KEYS = {
    "id",
    "title",
    "purpose",
    "reference",
    "area",
    "requirement",
    "profiles",
    "targets",
    "via",
    "needs",
    "timeout",
    "verdicts",
    "steps",
    "metrics",
    "notes",
    "why_not",
}


class ScenarioError(ValueError):
    """A scenario file is wrong; the message starts with ``file:line:`` (and the step)."""

    def __init__(self, file: str, line: int, message: str, step: str | None = None) -> None:
        self.file = file
        self.line = line
        self.step = step
        where = f"{file}:{line}: " + (f"step {step}: " if step else "")
        super().__init__(where + message)


@dataclass
class Step:
    """One step: its action, its arguments (plain values), where it was written."""

    action: str
    args: dict[str, Any]
    file: str
    line: int
    number: str  # "3" or "5.2" for a nested step
    children: list[Step] = field(default_factory=list)

    @property
    def label(self) -> str:
        name = self.args.get("name")
        return f"{self.number} ({self.action}{': ' + name if name else ''})"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}: step {self.label}"


@dataclass
class Scenario:
    id: str
    title: str
    area: str
    steps: list[Step]
    file: str
    line: int
    purpose: str = ""
    reference: list[str] = field(default_factory=list)
    requirement: str = "mandatory"
    profiles: tuple[str, ...] | None = None  # None: every profile
    profiles_by_via: dict[str, tuple[str, ...]] = field(default_factory=dict)
    targets: tuple[str, ...] = ("builtin", "cpe", "proxy")
    via: tuple[str, ...] = VIA
    needs: tuple[str, ...] = ()
    timeout: float = 30.0
    ignore_rules: tuple[str, ...] = ()
    #: Rules the stub ACS must report (negative scenarios: a CPE quirk that breaks the
    #: protocol); missing one fails the scenario, and they do not count as failures.
    expect_rules: tuple[str, ...] = ()
    metrics: str = ""
    #: Why the scenario does not apply where ``via``/``profiles`` leave a device out: the
    #: report's "not applicable" then says why, not only that.
    why_not: str = ""

    @property
    def mandatory(self) -> bool:
        return self.requirement == "mandatory"

    def applies(self, target_kind: str, profile: str | None, via: str | None) -> str | None:
        """``None`` if the scenario applies to this device, else why not."""
        if target_kind not in self.targets:
            return f"not for {target_kind} targets (only {', '.join(self.targets)})"
        because = f": {self.why_not}" if self.why_not else ""
        if via is not None and via not in self.via:
            return f"not through the {via} path (only {', '.join(self.via)}){because}"
        if self.profiles is not None and profile is not None and profile not in self.profiles:
            return f"not for profile {profile}{because}"
        only = self.profiles_by_via.get(via or "")
        if only is not None and profile is not None and profile not in only:
            return f"not for profile {profile} through the {via} path{because}"
        return None


# --- YAML nodes to plain values, with lines ---------------------------------------------------


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _plain(node: yaml.Node, file: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for k, v in node.value:
            key = _plain(k, file)
            if isinstance(key, list | dict):
                raise ScenarioError(file, _line(k), "a mapping key must be a scalar")
            if key in out:
                raise ScenarioError(file, _line(k), f"duplicate key {key!r}")
            out[key] = _plain(v, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v, file) for v in node.value]
    if node.tag == "tag:yaml.org,2002:str":
        return node.value
    try:
        return yaml.constructor.SafeConstructor().construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        raise ScenarioError(file, _line(node), f"bad value: {exc.problem}") from None


def _mapping_items(node: yaml.Node, file: str, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise ScenarioError(file, _line(node), f"{what} must be a mapping")
    out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for k, v in node.value:
        if not isinstance(k, yaml.ScalarNode):
            raise ScenarioError(file, _line(k), f"{what}: keys must be scalars")
        if k.value in out:
            raise ScenarioError(file, _line(k), f"{what}: duplicate key {k.value!r}")
        out[k.value] = (k, v)
    return out


def _str_list(value: Any, file: str, line: int, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ScenarioError(file, line, f"{key}: expected a string or a list of strings")


def parse_steps(node: yaml.Node, file: str, prefix: str = "") -> list[Step]:
    """Parse a ``steps:`` sequence, validating each step against its action's schema."""

    if not isinstance(node, yaml.SequenceNode):
        raise ScenarioError(file, _line(node), "steps must be a list")
    steps: list[Step] = []
    for i, item in enumerate(node.value, 1):
        number = f"{prefix}{i}"
        line = _line(item)
        args: dict[str, Any] = {}
        children_node: yaml.Node | None = None
        if isinstance(item, yaml.ScalarNode):  # a bare action: "- release"
            action = item.value
        else:
            items = _mapping_items(item, file, f"step {number}")
            action = next(iter(items), "")
            if action not in STEPS:
                raise ScenarioError(
                    file,
                    line,
                    f"unknown action {action!r}: a step starts with its action "
                    f"(one of {', '.join(sorted(STEPS))})",
                    step=number,
                )
            children_node = items["steps"][1] if "steps" in items else None
            for key, (_knode, vnode) in items.items():
                if key == "steps":
                    continue
                try:
                    value = _plain(vnode, file)
                except ScenarioError as exc:
                    raise ScenarioError(
                        file, exc.line, str(exc).split(": ", 1)[-1], number
                    ) from None
                if key == action:
                    args["_"] = value
                else:
                    args[key] = value
        spec = STEPS.get(action)
        if spec is None:
            raise ScenarioError(
                file,
                line,
                f"unknown action {action!r} (actions: {', '.join(sorted(STEPS))})",
                number,
            )
        step = Step(action=action, args=args, file=file, line=line, number=number)
        try:
            spec.validate(step)
        except (StepSchemaError, MatcherError) as exc:
            raise ScenarioError(file, line, f"{action}: {exc}", step=step.label) from None
        if spec.nested:
            if children_node is None:
                raise ScenarioError(file, line, f"{action} needs nested steps:", step=number)
            step.children = parse_steps(children_node, file, prefix=f"{number}.")
        elif children_node is not None:
            raise ScenarioError(file, line, f"{action} takes no nested steps", step=number)
        steps.append(step)
    return steps


def _scenario(node: yaml.Node, file: str) -> Scenario:
    items = _mapping_items(node, file, "a scenario")
    for key, (knode, _v) in items.items():
        if key not in _META_KEYS:
            raise ScenarioError(
                file,
                _line(knode),
                f"unknown key {key!r} (expected {', '.join(sorted(_META_KEYS))})",
            )
    for key in ("id", "title", "area", "steps"):
        if key not in items:
            raise ScenarioError(file, _line(node), f"missing required key {key!r}")

    def val(key: str, default: Any = None) -> Any:
        return _plain(items[key][1], file) if key in items else default

    def line_of(key: str) -> int:
        return _line(items[key][1]) if key in items else _line(node)

    sid, title, area = val("id"), val("title"), val("area")
    for key, value in (("id", sid), ("title", title), ("area", area)):
        if not isinstance(value, str) or not value.strip():
            raise ScenarioError(file, line_of(key), f"{key} must be a non-empty string")
    if area not in AREAS:
        raise ScenarioError(
            file, line_of("area"), f"area {area!r} is not one of {', '.join(AREAS)}"
        )
    requirement = val("requirement", "mandatory")
    if requirement not in REQUIREMENTS:
        raise ScenarioError(
            file, line_of("requirement"), "requirement must be mandatory or optional"
        )
    profiles = val("profiles", "all")
    profiles_by_via: dict[str, tuple[str, ...]] = {}
    if isinstance(profiles, dict):  # {embedded: [...]}: a restriction on one path only
        for path_name, names in profiles.items():
            if path_name not in VIA:
                raise ScenarioError(
                    file, line_of("profiles"),
                    f"profiles: {path_name!r} is not one of {', '.join(VIA)} (a mapping of "
                    "path to profiles restricts that path only)",
                )  # fmt: skip
            profiles_by_via[path_name] = tuple(
                _str_list(names, file, line_of("profiles"), f"profiles.{path_name}")
            )
        profiles = "all"
    profile_tuple = (
        None if profiles == "all" else _str_list(profiles, file, line_of("profiles"), "profiles")
    )
    targets = _str_list(
        val("targets", ["builtin", "cpe", "proxy"]), file, line_of("targets"), "targets"
    )
    for t in targets:
        if t not in TARGET_KINDS:
            raise ScenarioError(
                file, line_of("targets"), f"target {t!r} is not one of {', '.join(TARGET_KINDS)}"
            )
    via = _str_list(val("via", list(VIA)), file, line_of("via"), "via")
    for v in via:
        if v not in VIA:
            raise ScenarioError(file, line_of("via"), f"via {v!r} is not one of {', '.join(VIA)}")
    timeout = val("timeout", 30)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise ScenarioError(
            file, line_of("timeout"), "timeout must be a positive number of seconds"
        )
    verdicts = val("verdicts", {}) or {}
    if not isinstance(verdicts, dict) or set(verdicts) - {"ignore", "expect"}:
        raise ScenarioError(
            file,
            line_of("verdicts"),
            "verdicts takes only 'ignore: [rule, ...]' and 'expect: [rule, ...]'",
        )
    ignore = _str_list(verdicts.get("ignore", []), file, line_of("verdicts"), "verdicts.ignore")
    expect_rules = _str_list(
        verdicts.get("expect", []), file, line_of("verdicts"), "verdicts.expect"
    )
    reference = val("reference", [])
    reference = [reference] if isinstance(reference, str) else reference
    if not isinstance(reference, list):
        raise ScenarioError(file, line_of("reference"), "reference must be a string or a list")
    needs = _str_list(val("needs", []), file, line_of("needs"), "needs")
    return Scenario(
        id=sid,
        title=title,
        area=area,
        steps=parse_steps(items["steps"][1], file),
        file=file,
        line=_line(node),
        purpose=str(val("purpose", "") or "").strip(),
        reference=[str(r) for r in reference],
        requirement=requirement,
        profiles=profile_tuple,
        profiles_by_via=profiles_by_via,
        targets=targets,
        via=via,
        needs=needs,
        timeout=float(timeout),
        ignore_rules=ignore,
        expect_rules=expect_rules,
        metrics=str(val("metrics", "") or "").strip(),
        why_not=" ".join(str(val("why_not", "") or "").split()),
    )


def parse_scenarios(text: str, file: str = "<scenario>") -> list[Scenario]:
    """Every scenario in ``text`` (one per YAML document)."""
    try:
        docs = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ScenarioError(file, line, f"YAML syntax: {exc.problem or exc}") from None
    out = [_scenario(doc, file) for doc in docs if doc is not None]
    if not out:
        raise ScenarioError(file, 1, "no scenario in file")
    return out


def load_file(path: Path | str) -> list[Scenario]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), 1, f"cannot read: {exc}") from None
    return parse_scenarios(text, _display(path))


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def iter_files(paths: list[Path | str]) -> Iterator[Path]:
    """Scenario files under ``paths`` (files as given, folders searched for *.yaml)."""
    for p in paths:
        p = Path(p)
        if p.is_dir():
            yield from sorted(x for x in p.rglob("*.yaml") if x.is_file())
        else:
            yield p


def load_all(paths: list[Path | str]) -> list[Scenario]:
    """Every scenario under ``paths``; duplicate ids are an error naming both places."""
    out: list[Scenario] = []
    seen: dict[str, Scenario] = {}
    for f in iter_files(paths):
        for sc in load_file(f):
            if sc.id in seen:
                other = seen[sc.id]
                raise ScenarioError(
                    sc.file, sc.line, f"duplicate id {sc.id!r} (also {other.file}:{other.line})"
                )
            seen[sc.id] = sc
            out.append(sc)
    return out


def load_searched(folders: list[Path | str]) -> list[Scenario]:
    """The scenarios of ``folders`` searched in order: an id found in an earlier folder hides
    the same id in a later one (the user's folders come before the built-in one); within one
    folder a repeated id is still an error."""
    out: dict[str, Scenario] = {}
    for folder in folders:
        for sc in load_all([folder]):
            out.setdefault(sc.id, sc)
    return list(out.values())


def default_dir() -> Path:

    return package_dir("printbench.scenarios")
