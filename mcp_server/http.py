"""Streamable HTTP for the MCP server, with bearer-token auth (a token maps to one person).

    mcp = build_http_app(store, contexts)           # an ASGI app (contexts: steward.wiring.email_contexts)
    # inside `steward serve` (one process owns the DuckDB file):
    app = Starlette(routes=[Route("/mcp", endpoint=mcp), ...], lifespan=lambda app: mcp.lifespan())
    # or alone:  steward mcp serve-http --host 127.0.0.1 --port 8765

The app answers the MCP endpoint at whatever path it is routed from, so `Route("/mcp", endpoint=mcp)`
works (a `Mount("/mcp", ...)` would make Starlette redirect POST /mcp to /mcp/, which MCP clients do
not follow). Its session manager must run for the app's lifetime: uvicorn's lifespan does that when
the app is served alone; a host app enters `mcp.lifespan()` in its own lifespan.

No token or a wrong, revoked or unknown-person token gets 401 before any MCP message is read; its
body and WWW-Authenticate error_description say how to get a token (mcp_server.discovery), and the
OAuth discovery paths say that Steward uses static bearer tokens.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio

from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from agent.config import AgentConfig
from ledger.store import Store
from mcp_server.auth import StoreTokenVerifier
from mcp_server.discovery import discovery_answer, explain_401, is_discovery, send_answer
from mcp_server.server import ContextFactory, StoreAccess, build_server

ENDPOINT = "/mcp"


class McpHttpApp:
    """ASGI: the Steward MCP endpoint (streamable HTTP, bearer auth)."""

    def __init__(self, server: MCPServer, *, host: str, json_response: bool, stateless: bool,
                 transport_security: TransportSecuritySettings | None, public_url: str | None = None,
                 watch_seconds: float = 1.0) -> None:
        self.server = server
        self.public_url = public_url
        self.watch_seconds = watch_seconds
        self._app = server.streamable_http_app(streamable_http_path=ENDPOINT, host=host,
                                               json_response=json_response, stateless_http=stateless,
                                               transport_security=transport_security)
        self._running = False

    @property
    def session_manager(self) -> Any:
        return self.server.session_manager

    @asynccontextmanager
    async def lifespan(self, app: Any = None) -> AsyncIterator[None]:
        """Run the session manager; a host app enters this in its own lifespan."""
        async with self.session_manager.run(), anyio.create_task_group() as tasks:
            watch = getattr(self.server, "steward").watch
            if watch is not None:  # tell open sessions when a person's grants change
                tasks.start_soon(watch.run, self.watch_seconds)
            self._running = True
            try:
                yield
            finally:
                self._running = False
                tasks.cancel_scope.cancel()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan_protocol(receive, send)
            return
        if scope["type"] == "http":
            if is_discovery(scope["path"]):  # OAuth discovery: say that Steward uses static tokens
                await send_answer(send, discovery_answer(scope["path"], self._resource_url(scope)))
                return
            if not self._running:
                await JSONResponse({"error": "MCP session manager is not running: enter "
                                             "McpHttpApp.lifespan() in the host app's lifespan"},
                                   status_code=503)(scope, receive, send)
                return
            # Whatever path routed the request here, it is the MCP endpoint.
            scope = {**scope, "path": ENDPOINT, "raw_path": ENDPOINT.encode(), "root_path": ""}
            send = explain_401(scope, send)
        await self._app(scope, receive, send)

    def _resource_url(self, scope: Scope) -> str:
        if self.public_url:
            return self.public_url
        host = next((v.decode() for k, v in scope.get("headers") or [] if k == b"host"), "127.0.0.1")
        return f"{scope.get('scheme', 'http')}://{host}{ENDPOINT}"

    async def _lifespan_protocol(self, receive: Receive, send: Send) -> None:
        """Served alone (uvicorn): run the session manager between startup and shutdown."""
        message = await receive()
        assert message["type"] == "lifespan.startup"
        try:
            async with self.lifespan():
                await send({"type": "lifespan.startup.complete"})
                message = await receive()  # lifespan.shutdown
        except BaseException as exc:  # report a failed startup to the server, then stop
            if not self._running:
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
            raise
        await send({"type": "lifespan.shutdown.complete"})


def build_http_app(store: Store, contexts: ContextFactory, *, host: str = "127.0.0.1",
                   public_url: str | None = None, json_response: bool = False, stateless: bool = False,
                   agent_config: Callable[[], AgentConfig] | AgentConfig | None = None, registry_ttl: float = 1.0, result_cache_ttl: float = 300.0,
                   transport_security: TransportSecuritySettings | None = None) -> McpHttpApp:
    """The MCP endpoint for `steward serve` (or `steward mcp serve-http`).

    host: the address the server binds; on 127.0.0.1/localhost the SDK's DNS-rebinding protection
    is on (Host and Origin headers must name the loopback). public_url: the endpoint's external URL
    behind a reverse proxy (https://steward.example.com/mcp): its host and origin are allowed too.
    Tokens are Steward's own (no OAuth): the protected-resource metadata lists no authorization
    server, and clients that try OAuth anyway are told how to get a token (mcp_server.discovery). registry_ttl: how stale a
    grant, revocation or registry change made in this process outside MCP may be, in seconds
    (StoreAccess).
    result_cache_ttl: how long a read result may be reused while the store is unchanged (ResultCache)."""
    # The SDK wants an issuer URL with a token verifier; without resource_server_url it is not
    # published anywhere, and tokens are checked against the store, not against an audience.
    auth = AuthSettings(issuer_url=f"http://{host}", resource_server_url=None, validate_token_resource=False)
    access = StoreAccess(store, ttl=registry_ttl)
    server = build_server(access, contexts, agent_config=agent_config,
                          token_verifier=StoreTokenVerifier(access), auth=auth, result_cache_ttl=result_cache_ttl)
    if transport_security is None and public_url and host in LOOPBACK:
        transport_security = _behind_proxy(public_url)
    return McpHttpApp(server, host=host, json_response=json_response, stateless=stateless,
                      transport_security=transport_security, public_url=public_url,
                      watch_seconds=max(registry_ttl, 0.2))


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _behind_proxy(public_url: str) -> TransportSecuritySettings:
    """The SDK's loopback DNS-rebinding protection, plus the public host the proxy forwards."""
    from urllib.parse import urlsplit

    url = urlsplit(public_url)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*", url.netloc, f"{url.hostname}:*"],
        allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*", f"{url.scheme}://{url.netloc}"])


# --------------------------------------------------------------------------- running it


@dataclass
class Running:
    """A uvicorn server on a background thread (tests, benchmarks)."""

    server: Any
    thread: threading.Thread
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{ENDPOINT}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _bind(host: str, port: int) -> socket.socket:
    # proto IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say TCP,
    # and with Nagle on, a response written in two parts waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)  # connections queue from now on, even before uvicorn accepts them
    return sock


def _uvicorn(app: Any, log_level: str) -> Any:
    import uvicorn

    return uvicorn.Server(uvicorn.Config(app, log_level=log_level, lifespan="on", access_log=False))


def start_in_thread(app: Any, *, host: str = "127.0.0.1", port: int = 0,
                    log_level: str = "warning") -> Running:
    """Serve on a background thread; port 0 picks a free port (see `.port`)."""
    sock = _bind(host, port)
    server = _uvicorn(app, log_level)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="steward-mcp-http")
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the MCP HTTP server did not start")
        time.sleep(0.01)
    return Running(server=server, thread=thread, host=host, port=sock.getsockname()[1])


def serve(app: McpHttpApp, *, host: str, port: int, log_level: str = "warning") -> None:
    """Serve in the foreground until interrupted; prints the endpoint URL (port 0: the bound port)."""
    sock = _bind(host, port)
    shown = f"[{host}]" if ":" in host else host
    print(f"Steward MCP (streamable HTTP) on http://{shown}:{sock.getsockname()[1]}{ENDPOINT}",
          file=sys.stderr, flush=True)
    _uvicorn(app, log_level).run(sockets=[sock])
