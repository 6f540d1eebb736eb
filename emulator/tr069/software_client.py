"""The embedded client's software-module agent: ``cwmp_cpe.software_modules`` on a printer.

Where its jobs are kept: beside the CPE's own store (a JSON file next to it, or memory), so a
ChangeDUState accepted before a reboot or a restart is still carried out after it.
"""

from __future__ import annotations

from typing import Any

from printbench.cwmp_cpe.software_modules import SoftwareModuleAgent
from printbench.cwmp_cpe.store import JsonFileStore, MemoryStore, StateStore
from printbench.emulator.software import PrinterSoftware


def agent_store(cpe_store: Any) -> StateStore:
    if isinstance(cpe_store, JsonFileStore):
        return JsonFileStore(cpe_store.path.with_name(cpe_store.path.stem + ".du.json"))
    return MemoryStore()


def software_agent(cpe: Any, state: Any, cpe_store: Any) -> SoftwareModuleAgent:
    agent = SoftwareModuleAgent(cpe, PrinterSoftware(state), agent_store(cpe_store))
    agent.attach()
    return agent
