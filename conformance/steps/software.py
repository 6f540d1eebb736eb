"""Steps for software modules (TR-069 ChangeDUState): the DU files a scenario serves.

``serve_du`` builds a printbench DU file (``cwmp_cpe.du_package``) for one of the device's
ExecEnvs, whose ``Type`` it reads first (a DU only installs in an ExecEnv of its type, else
9025), and serves it from the stub ACS, with HTTP basic or digest auth if asked. A device
without that ExecEnv makes the scenario not applicable, with the reason.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from printbench.conformance.steps.base import (
    StepFailed,
    StepSkipped,
    fs,
    rpc_call,
    step,
    step_timeout,
    values_of,
)
from printbench.cwmp import du as D
from printbench.cwmp_cpe.du_package import make_package

if TYPE_CHECKING:
    from printbench.conformance.engine import Context
    from printbench.conformance.scenario import Step

SM = "Device.SoftwareModules."


@step(
    "serve_du",
    value="str",
    keys=fs(
        "name",
        "version",
        "vendor",
        "exec_env",
        "units",
        "size",
        "auth",
        "username",
        "password",
        "save",
    ),
    needs=fs("acs"),
)
async def serve_du(ctx: Context, st: Step) -> None:
    """Serve a Deployment Unit file named by the value; its URL goes to variable ``save``,
    the ExecEnv path to ``<save>_ee`` and its generated UUID to ``<save>_uuid``."""
    acs = ctx.need_acs()
    methods, fault = await rpc_call(ctx, "GetRPCMethods", {}, timeout=step_timeout(ctx, st, 15.0))
    if fault is not None or "ChangeDUState" not in getattr(methods, "method_list", ()):
        raise StepSkipped(
            "the device does not offer ChangeDUState in GetRPCMethods (TR-069 A.3.2.1; the "
            "method came with CWMP 1.2, cwmp-1-2.xsd)"
        )
    index = int(st.args.get("exec_env", 1))
    ee = f"{SM}ExecEnv.{index}"
    response, fault = await rpc_call(
        ctx, "GetParameterValues", {"parameter_names": [ee + ".Type"]},
        timeout=step_timeout(ctx, st, 15.0),
    )  # fmt: skip
    if fault is not None:
        raise StepSkipped(f"the device has no {ee} (GetParameterValues fault {fault.fault_code})")
    ee_type = values_of(response).get(ee + ".Type", "")
    if not ee_type:
        raise StepFailed(f"{ee}.Type is empty: no DU type to build")
    name = str(ctx.subst(st.args.get("name", "printbench module")))
    vendor = str(ctx.subst(st.args.get("vendor", "printbench")))
    units = tuple(D.UnitSpec(str(ctx.subst(u))) for u in st.args.get("units", ["app"]))
    pkg = D.Package(name=name, vendor=vendor, version=str(st.args.get("version", "1.0.0")),
                    ee_type=ee_type, units=units)  # fmt: skip
    data = make_package(pkg, bytes(int(st.args.get("size", 4096))))
    # Scenarios run on several devices at once with one ${token}: the file is per device,
    # since its content (the ExecEnv type) is.
    tag = hashlib.sha256(ctx.device.acs_id.encode()).hexdigest()[:8]
    file_name = f"{tag}-{ctx.subst(st.args['_'])}"
    acs.add_file(
        file_name, data, auth=st.args.get("auth", "none"),
        username=str(ctx.subst(st.args.get("username", ""))),
        password=str(ctx.subst(st.args.get("password", ""))),
    )  # fmt: skip
    save = st.args.get("save", "du_url")
    ctx.vars[save] = acs.file_url(file_name)
    ctx.vars[save + "_ee"] = ee
    ctx.vars[save + "_uuid"] = D.generated_uuid(vendor, name)
