"""The Connection Request listener (TR-069 §3.2.2), shared by any number of CPEs.

One aiohttp server per (address, port) serves every CPE registered with it: a CPE is found by
its random path (``/cwmp/<token>``) and, where several printers share a wildcard listener, by
the local address the request arrived on (DESIGN §6: the connection's local address names the
device). Whether a request is accepted (digest authentication with
``ConnectionRequestUsername/Password``, rate limiting with 503, coalescing into one session)
is decided by ``Cpe.connection_request``; this module only moves bytes. Answers have an empty
body, as TR-069 requires, and are sent before the session starts.
"""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from printbench.common import httplog
from printbench.common.httpguard import GuardedAppRunner, HttpTimeouts

CPE_KEY = web.AppKey("cwmp_cpe_registry", dict)


def new_path() -> str:
    """A path unguessable enough for a ConnectionRequestURL (TR-069: SHOULD be unique)."""
    return "/cwmp/" + secrets.token_hex(8)


class ConnectionRequestServer:
    """Serves connection requests for registered CPEs on one address and port."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 7547, *, timeouts: HttpTimeouts | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.timeouts = timeouts or HttpTimeouts()  # head/body limits (docs/tr069-client.md)
        self._by_path: dict[str, Any] = {}
        self._runner: web.AppRunner | None = None

    def register(self, cpe: Any, path: str | None = None) -> str:
        """Serve ``cpe`` at ``path``; returns its ConnectionRequestURL (server must be started)."""
        path = path or new_path()
        self._by_path[path] = cpe
        url = f"http://{self.host}:{self.port}{path}"
        cpe.connection_request_url = url
        return url

    def unregister(self, cpe: Any) -> None:
        for p in [p for p, c in self._by_path.items() if c is cpe]:
            del self._by_path[p]

    async def start(self) -> int:
        httplog.install()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = GuardedAppRunner(
            app, timeouts=self.timeouts, access_log=None, handle_signals=False
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        bound = [a for a in self._runner.addresses if isinstance(a, tuple)]
        if bound:
            self.port = int(bound[-1][1])
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        cpe = self._by_path.get(request.path)
        if cpe is None:
            return web.Response(status=404)
        status, headers = cpe.connection_request(
            request.method, request.path_qs, request.headers.get("Authorization")
        )
        return web.Response(status=status, headers=headers)
