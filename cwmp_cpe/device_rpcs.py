"""The device RPCs of a CPE: GetRPCMethods, ScheduleInform, Reboot, FactoryReset.

A feature module in the shape ``cwmp_cpe.extensions`` describes: it registers its handlers,
keeps the scheduled informs as the persisted section ``scheduled`` and fires them as a
timer (``3 SCHEDULED`` + ``M ScheduleInform``, TR-069 A.4.1.4). Reboot and FactoryReset
answer at once and act after the session (TR-069 A.3.2.3/A.4.1.6: the CPE reboots after
the session ends); the device's hooks do the restart, and when a hook does not report the
boot itself the runtime notes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from printbench.cwmp import messages as m
from printbench.cwmp_cpe.persistence import StateSection, TimeBase

if TYPE_CHECKING:
    from printbench.cwmp_cpe.runtime import Cpe

#: TR-069 A.3.1: CommandKey is a string(32).
MAX_COMMAND_KEY = 32


def command_key_fault(key: str) -> m.Fault | None:
    """Fault 9003 for a CommandKey over 32 characters (TR-069 Annex A, string(32))."""
    if len(key) > MAX_COMMAND_KEY:
        return m.Fault(9003, "CommandKey longer than 32 characters")
    return None


class DeviceRpcs:
    """GetRPCMethods, ScheduleInform, Reboot and FactoryReset of one Cpe."""

    name = "device"

    def __init__(self, cpe: Cpe) -> None:
        self.cpe = cpe
        #: (monotonic due, CommandKey) of accepted ScheduleInforms.
        self.scheduled: list[tuple[float, str]] = []
        hooks = cpe.hooks
        cpe.register(m.GetRPCMethods, self.get_rpc_methods)
        cpe.register(m.ScheduleInform, self.schedule_inform)
        if hooks is not None and hasattr(hooks, "reboot"):
            cpe.register(m.Reboot, self.reboot)
        if hooks is not None and hasattr(hooks, "factory_reset"):
            cpe.register(m.FactoryReset, self.factory_reset)
        cpe.persist(StateSection("scheduled", self._dump, self._load))
        cpe.add_timer(self)
        cpe.on_factory_reset(lambda: self.scheduled.clear())

    def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    # -- persisted state ----------------------------------------------------------------------

    def _dump(self, base: TimeBase) -> Any:
        return [[base.to_wall(due), key] for due, key in self.scheduled]

    def _load(self, value: Any, base: TimeBase) -> None:
        self.scheduled = [(base.to_mono(str(when)), str(key)) for when, key in value]

    # -- timer --------------------------------------------------------------------------------

    def due(self) -> float | None:
        return min((t for t, _ in self.scheduled), default=None)

    def fire(self, now: float) -> None:
        due = [(t, k) for t, k in self.scheduled if t <= now]
        if not due:
            return
        self.scheduled = [(t, k) for t, k in self.scheduled if t > now]
        cpe = self.cpe
        cpe.queue.add("3 SCHEDULED")
        for _, k in due:
            cpe.queue.add("M ScheduleInform", k)
        cpe.note_new_event()
        cpe.save()

    # -- handlers -----------------------------------------------------------------------------

    def get_rpc_methods(self, req: m.GetRPCMethods) -> m.Message:
        return m.GetRPCMethodsResponse(self.cpe.supported_methods())

    def schedule_inform(self, req: m.ScheduleInform) -> m.Message:
        if req.delay_seconds < 1:
            return m.Fault(9003, "ScheduleInform DelaySeconds must be 1 or more")
        bad = command_key_fault(req.command_key)
        if bad is not None:
            return bad
        self.scheduled.append((self.cpe.clock.monotonic() + req.delay_seconds, req.command_key))
        self.cpe.save()
        return m.ScheduleInformResponse()

    def reboot(self, req: m.Reboot) -> m.Message:
        bad = command_key_fault(req.command_key)
        if bad is not None:
            return bad
        key = req.command_key
        cpe = self.cpe

        def do() -> None:
            cpe.pending_reboot_key = key
            boots = cpe.boot_count
            cpe.hooks.reboot()
            if cpe.boot_count == boots:  # the device did not report its boot itself
                cpe.device_booted()

        cpe.after_session(do)
        return m.RebootResponse()

    def factory_reset(self, req: m.FactoryReset) -> m.Message:
        cpe = self.cpe
        if "factory-reset-ignored" in cpe.quirks:  # a defect to test against (BS-001)
            return m.FactoryResetResponse()

        def do() -> None:
            boots = cpe.boot_count
            cpe.hooks.factory_reset()
            if cpe.boot_count == boots:
                cpe.device_factory_reset()

        cpe.after_session(do)
        return m.FactoryResetResponse()
