"""The EWS's software-module page and API: what is installed, and installing at the panel.

``GET /software`` lists the ExecEnvs, DeploymentUnits and ExecutionUnits (one truth with
``Device.SoftwareModules.`` of the TR-069 view: both read ``emulator.software``);
``GET /api/software`` is its JSON. An administrator installs a DU file with
``POST /api/software`` (``application/octet-stream``, like ``/api/firmware``) and removes one
with ``DELETE /api/software/{uuid}``; both are local changes the embedded TR-069 client
reports as AutonomousDUStateChangeComplete when the ACS's policy asks for them.
"""

from __future__ import annotations

from aiohttp import web

from printbench.emulator import software as sw

#: Largest DU file the EWS takes (streamed to a temporary file, never held in memory).
MAX_DU = 64 * 1024 * 1024


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/software", software_page)
    router.add_get("/api/software", api_software)
    router.add_post("/api/software", api_software_post)
    router.add_delete("/api/software/{uuid}", api_software_delete)


async def software_page(request: web.Request) -> web.Response:
    from printbench.emulator.ews import app

    model = sw.summary(app._device(request).state)
    return app._render(request, "software.html", {"s": model, "title": "Software modules"})


async def api_software(request: web.Request) -> web.Response:
    from printbench.emulator.ews import app

    return web.json_response(sw.summary(app._device(request).state))


def _outcome_response(outcome: sw.D.OpOutcome, ok_status: int) -> web.Response:
    body = outcome.to_json()
    return web.json_response(body, status=422 if outcome.fault_code else ok_status)


async def api_software_post(request: web.Request) -> web.Response:
    from printbench.emulator.ews import app

    app._api_auth(request, write=True)
    if request.content_type != "application/octet-stream":
        raise app.Reject(415, "post the Deployment Unit file as application/octet-stream")
    device = app._device(request)
    path = await app._receive_firmware(request)  # the same capped streaming as firmware
    try:
        outcome = sw.install_local(device.state, device.clock, path)
    finally:
        path.unlink(missing_ok=True)
    return _outcome_response(outcome, 201)


async def api_software_delete(request: web.Request) -> web.Response:
    from printbench.emulator.ews import app

    app._api_auth(request, write=True)
    device = app._device(request)
    outcome = sw.uninstall_local(device.state, device.clock, request.match_info["uuid"])
    return _outcome_response(outcome, 200)
