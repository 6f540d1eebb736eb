"""Step implementations: what each scenario action does and what it checks.

Each action is a :class:`StepSpec` registered in :data:`STEPS` by the ``@step`` decorator of
the module that implements it; importing this package imports every step module, so the
table is complete. The modules, one concern each:

- :mod:`.base`: the step specification, the registry, shared helpers (RPC through the stub
  ACS, JSON views of messages, variable substitution);
- :mod:`.rpc`: RPCs and their checks; ACS-side switches (hold, retry faults, failed sessions);
- :mod:`.observe`: Informs, CPE requests, held sessions, connection requests;
- :mod:`.files`: files served and uploads received;
- :mod:`.printer`: the emulator's control API (print, inject, truth, ...);
- :mod:`.parameters`: every mapped parameter against the oracle;
- :mod:`.flow`: loops, time, variables, assertions, verdicts;
- :mod:`.cpe`: CWMP version negotiation and quirk modes (envelope headers);
- :mod:`.nat`: a NAT in front of the device, STUN bindings, UDP Connection Requests.
- :mod:`.tls`: sessions over the stub ACS's HTTPS listeners, certificates both ways.
- :mod:`.xmpp`: XMPP connection requests (TR-069 Annex K).
- :mod:`.software`: Deployment Unit files for ChangeDUState.

A failed check raises :class:`StepFailed` with what was expected and what came; a target that
cannot do what the step needs raises :class:`StepSkipped` (reported as not applicable).
"""

from __future__ import annotations

from printbench.conformance.steps import (  # noqa: F401  (each module registers its steps)
    auth,
    clock,
    cpe,
    cpe_initiated,
    diagnostics,
    files,
    firmware,
    flow,
    nat,
    observe,
    parameters,
    printer,
    rpc,
    software,
    tls,
    xmpp,
)
from printbench.conformance.steps.base import (
    MAX_REAL_WAIT,
    PS,
    STEPS,
    DeviceGone,
    StepFailed,
    StepSchemaError,
    StepSkipped,
    StepSpec,
    Substituter,
    check,
    expand_name,
    fault_json,
    fs,
    inform_json,
    response_json,
    rpc_call,
    step,
    step_timeout,
    values_of,
)

__all__ = [
    "MAX_REAL_WAIT",
    "PS",
    "STEPS",
    "DeviceGone",
    "StepFailed",
    "StepSchemaError",
    "StepSkipped",
    "StepSpec",
    "Substituter",
    "check",
    "expand_name",
    "fault_json",
    "fs",
    "inform_json",
    "response_json",
    "rpc_call",
    "step",
    "step_timeout",
    "values_of",
]
