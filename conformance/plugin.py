"""pytest plugin: scenario YAML files as test items (pytest's documented YAML-collection shape).

``pytest scenarios/`` collects every scenario once per device of the target (node id
``scenarios/hold.yaml::HOLD-001[color-laser-mfp/embedded]``), marks it with its area, profile,
path and requirement (``-m "hold_requests and not optional"``, ``-k proxy``), starts the
target once per session in its own event loop on the first item that needs it, and reports a
failure as ``file:line: step N (action): what was expected`` followed by the envelopes
around it. scenarios/conftest.py imports the hooks below; the plugin is not registered
globally because YAML files elsewhere in the repository (profiles, mapping) are not scenarios.

Options: ``--pb-target FILE`` (default: built-in), ``--pb-report-dir DIR`` (also writes the
JUnit/JSON/HTML reports of the items that ran).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from printbench.conformance.scenario import AREAS, Scenario, ScenarioError, load_file
from printbench.emulator.profiles import list_profiles

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr  # what pytest's own repr_failure returns

_STATE_KEY = pytest.StashKey[dict]()


def marker_name(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_").lower()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("printbench")
    group.addoption("--pb-target", default=None, help="printbench target file (default: built-in)")
    group.addoption("--pb-report-dir", default=None, help="write printbench reports here")


def pytest_configure(config: pytest.Config) -> None:

    names = [*AREAS, "embedded", "proxy", "mandatory", "optional", *list_profiles()]
    for name in names:
        config.addinivalue_line("markers", f"{marker_name(name)}: printbench scenario marker")
    config.stash[_STATE_KEY] = {}


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and "scenarios" in file_path.parts:
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def _device_names(config: pytest.Config) -> list[tuple[str, str | None, str]]:
    """(name, profile, via) of the devices the target will have, known before it starts."""
    from printbench.conformance.targets import load_target

    target = load_target(config.getoption("--pb-target"))
    s = target.settings
    if target.kind == "cpe":
        return [
            (str(d.get("name", f"cpe-{i + 1}")), d.get("profile"), "embedded")
            for i, d in enumerate(s.get("devices") or [])
        ]
    profiles = list_profiles() if s.get("profiles", "all") == "all" else list(s["profiles"])
    via = (
        ["proxy"]
        if target.kind == "proxy"
        else ["embedded"]
        if target.kind == "acs"
        else list(s.get("via", ["embedded", "proxy"]))
    )
    return [(f"{p}/{v}", p, v) for p in profiles for v in via]


class ScenarioFile(pytest.File):
    def collect(self):
        try:
            scenarios = load_file(self.path)
        except ScenarioError as exc:
            raise self.CollectError(str(exc)) from None
        state = self.config.stash[_STATE_KEY]
        if "devices" not in state:
            state["devices"] = _device_names(self.config)
            state["kind"] = _target_kind(self.config)
        for sc in scenarios:
            for name, profile, via in state["devices"]:
                if sc.applies(state["kind"], profile, via) is not None:
                    continue
                item = ScenarioItem.from_parent(
                    self, name=f"{sc.id}[{name}]", scenario=sc, device=name
                )
                for m in (sc.area, sc.requirement, via, profile or ""):
                    if m:
                        item.add_marker(marker_name(m))
                yield item


def _target_kind(config: pytest.Config) -> str:
    from printbench.conformance.targets import load_target

    return load_target(config.getoption("--pb-target")).kind


class ScenarioFailure(Exception):
    def __init__(self, result: Any) -> None:
        super().__init__(result.message)
        self.result = result


class _Session:
    """The target and its event loop, shared by every item of the pytest session."""

    def __init__(self, config: pytest.Config) -> None:
        from printbench.conformance.engine import Engine
        from printbench.conformance.targets import load_target

        report = config.getoption("--pb-report-dir")
        self.report_dir = Path(report) if report else None
        self.loop = asyncio.new_event_loop()
        self.target = load_target(config.getoption("--pb-target"), self.report_dir)
        self.loop.run_until_complete(self.target.start())
        self.engine = Engine(self.target)
        self.results: list[Any] = []
        self.cells: list[Any] = []

    def run(self, sc: Scenario, device_name: str) -> Any:
        dev = next((d for d in self.target.devices if d.name == device_name), None)
        if dev is None:
            pytest.skip(
                f"device {device_name} is not available on this target ({'; '.join(self.target.notes)})"
            )
        res, cells = self.loop.run_until_complete(self.engine.run_one(sc, dev))
        self.results.append(res)
        self.cells.extend(cells)
        return res

    def close(self) -> None:
        try:
            if self.report_dir is not None and self.results:
                from printbench.conformance.engine import RunResult
                from printbench.conformance.report import write_reports

                run = RunResult(
                    self.target.name,
                    self.target.kind,
                    "",
                    sum(r.seconds for r in self.results),
                    self.results,
                    self.cells,
                    [d.describe() for d in self.target.devices],
                )
                write_reports(run, self.report_dir)
            self.loop.run_until_complete(self.target.stop())
        finally:
            self.loop.close()


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, device: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.device = device

    def runtest(self) -> None:
        state = self.config.stash[_STATE_KEY]
        if "session" not in state:
            state["session"] = _Session(self.config)
        res = state["session"].run(self.scenario, self.device)
        if res.status in ("skipped", "blocked"):
            pytest.skip(res.message)
        if res.status in ("failed", "error"):
            raise ScenarioFailure(res)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, ScenarioFailure):
            r = excinfo.value.result
            lines = [
                f"{r.failed_where}: {r.message}",
                f"  scenario {r.scenario} ({r.requirement}) on {r.device}",
            ]
            for e in r.envelopes:
                lines.append(
                    f"  #{e['ref']} {e['direction']} {e['method']} {e.get('http_status') or ''} {e.get('note') or ''}"
                )
            return "\n".join(lines)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"{self.scenario.id} [{self.device}]"


def pytest_sessionfinish(session: pytest.Session) -> None:
    state = session.config.stash.get(_STATE_KEY, {})
    runner = state.pop("session", None)
    if runner is not None:
        runner.close()
