"""Diagnostics tied to a running ``Cpe``: start after the session, report in a new one.

:func:`attach` registers from outside the runtime (a tree listener and a ``Cpe`` listener;
no edit of ``runtime.py``):

- a SetParameterValues that wrote into a ``Device.IP.Diagnostics.X.`` object is judged by
  :meth:`DiagnosticsStore.commit` (TR-181 DiagnosticsState rules);
- a requested test starts once the session has ended (TR-181: "the CPE SHOULD wait until after
  completion of the communication session with the ACS before starting the diagnostic
  test"), or at once if the write came outside a session;
- when it ends (Complete or Error_*), the results are in the store and the event
  ``8 DIAGNOSTICS COMPLETE`` is queued, which starts a *new* session (TR-181: "the CPE MUST
  establish a new connection to the ACS to allow the ACS to view the results"); a test
  terminated by a later write or canceled yields no event ("but not if it is canceled").

Quirk ``no-diagnostics-complete`` (``CpeConfig.quirks``): the results are written but the
event is never sent, as some CPEs do; the ACS then waits in vain.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from printbench.cwmp_cpe import diag_runner as R
from printbench.cwmp_cpe import diagnostics as D

log = logging.getLogger(__name__)

QUIRK = "no-diagnostics-complete"


class DiagnosticsService:
    """Runs the requested diagnostics of one device's :class:`DiagnosticsStore`."""

    def __init__(
        self, cpe: Any, store: D.DiagnosticsStore | Callable[[], D.DiagnosticsStore]
    ) -> None:
        self.cpe = cpe
        # A getter lets the store be made on first use: a fleet of idle printers that never
        # run a diagnostic holds none (memory per idle device is the fleet's figure).
        self._store = store
        self._pending: set[str] = set()
        self._tasks: dict[str, tuple[asyncio.Task[None], threading.Event]] = {}
        #: Every finished test (kind, state, reason): for logs, the EWS and the tests.
        self.history: list[tuple[str, str, str]] = []

    @property
    def store(self) -> D.DiagnosticsStore:
        return self._store if isinstance(self._store, D.DiagnosticsStore) else self._store()

    # -- listeners --------------------------------------------------------------------------

    def tree_changed(self, op: str, names: list[str]) -> None:
        if op != "SetParameterValues":
            return
        kinds = {
            n[len(D.BASE) :].split(".", 1)[0]
            for n in names
            if n.startswith(D.BASE) and n[len(D.BASE) :].split(".", 1)[0] in D.KINDS
        }
        for kind in sorted(kinds):
            action = self.store.commit(kind)
            if action is D.Action.NOTHING:
                continue
            self._stop(kind)  # a restart terminates the test in progress first
            if action is D.Action.START:
                self._pending.add(kind)
                if getattr(self.cpe, "session", None) is None:
                    self._start_pending()

    def cpe_event(self, what: str, data: Any) -> None:
        if what == "session":
            self._start_pending()

    # -- running ----------------------------------------------------------------------------

    def _start_pending(self) -> None:
        pending, self._pending = self._pending, set()
        for kind in sorted(pending):
            job = self.store.begin(kind)
            if job is None:
                continue
            generation, params = job
            stop = threading.Event()
            task = asyncio.get_running_loop().create_task(
                self._run(kind, generation, params, stop), name=f"diagnostic {kind}"
            )
            self._tasks[kind] = (task, stop)

    async def _run(
        self, kind: str, generation: int, params: dict[str, str], stop: threading.Event
    ) -> None:
        try:
            outcome = await R.run(kind, params, stop)
        finally:
            entry = self._tasks.get(kind)
            if entry is not None and entry[1] is stop:
                del self._tasks[kind]
        if stop.is_set() or not self.store.finish(kind, generation, outcome):
            log.info("%s: %s diagnostic terminated", self.cpe.name, kind)
            return
        self.history.append((kind, outcome.state, outcome.reason))
        del self.history[:-50]
        log.info("%s: %s diagnostic %s %s", self.cpe.name, kind, outcome.state, outcome.reason)
        if QUIRK in self.cpe.quirks:
            return
        self.cpe.add_event(D.EVENT)

    def _stop(self, kind: str) -> None:
        entry = self._tasks.pop(kind, None)
        if entry is not None:
            entry[1].set()  # the worker thread notices within 0.5 s; its outcome is dropped

    @property
    def running(self) -> set[str]:
        """The diagnostics at work now."""
        return set(self._tasks)

    async def idle(self) -> None:
        """Wait until no test is running (for tests and an orderly stop)."""
        while self._tasks:
            task, _ = next(iter(self._tasks.values()))
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def close(self) -> None:
        """Stop the tests at work (the device stops; a restarted one is still served)."""
        for kind in list(self._tasks):
            self._stop(kind)

    def detach(self) -> None:
        """Stop serving this device's diagnostics at all."""
        self.close()
        with contextlib.suppress(ValueError):
            self.cpe.tree.listeners.remove(self.tree_changed)
        with contextlib.suppress(ValueError):
            self.cpe.listeners.remove(self.cpe_event)


def attach(
    cpe: Any, store: D.DiagnosticsStore | Callable[[], D.DiagnosticsStore]
) -> DiagnosticsService:
    """Serve the diagnostics of ``store`` (or of the store a getter makes on first use) for
    ``cpe``, whose tree binds ``Device.IP.Diagnostics.`` to that store through
    :mod:`cwmp_cpe.diag_binding`."""
    service = DiagnosticsService(cpe, store)
    cpe.tree.listeners.append(service.tree_changed)
    cpe.listeners.append(service.cpe_event)
    return service
