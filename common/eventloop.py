"""Which asyncio event loop the fleet's worker processes and the load run's stub ACS use.

``PRINTBENCH_EVENT_LOOP=uvloop`` (inherited by the worker processes) installs uvloop's policy
before the process's loop starts, so its effect on CPU per session can be measured with the
same benchmark (``benchmarks/fleet_sessions.py``, docs/fleet.md): it is a measurement switch,
not the default. Anything else, or uvloop missing, keeps asyncio's own loop.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)

ENV = "PRINTBENCH_EVENT_LOOP"


def install_from_env() -> str:
    """Install the loop policy ``$PRINTBENCH_EVENT_LOOP`` names; returns the one in use."""
    wanted = os.environ.get(ENV, "asyncio").strip().lower()
    if wanted != "uvloop":
        return "asyncio"
    try:
        import uvloop
    except ImportError:
        log.warning("%s=uvloop but uvloop is not installed: asyncio's loop is used", ENV)
        return "asyncio"
    uvloop.install()
    return "uvloop"
