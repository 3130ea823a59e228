"""Tool lists that stay true: listChanged is advertised, and a person's open sessions get
notifications/tools/list_changed when their MCP grants change (a grant adds write tools, a revoke
takes them away), so clients list again instead of keeping the list from connect time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.mcpserver import MCPServer
from mcp.server.subscriptions import ToolsListChanged

import ledger.access
from mcp_server.access import StoreAccess

log = logging.getLogger("steward.mcp")
MAX_SESSIONS = 16  # per person: the IDE windows one person may have open


def advertise_list_changed(server: MCPServer) -> None:
    """Handshake-era clients read listChanged from the initialize result, which the SDK builds from
    NotificationOptions (off by default); 2026-era clients get it from subscriptions/listen."""
    low = server._lowlevel_server  # noqa: SLF001 - the SDK has no public switch for these flags
    build: Callable[..., Any] = low.create_initialization_options

    def with_list_changed(notification_options: NotificationOptions | None = None, *args: Any, **kw: Any) -> Any:
        return build(notification_options or NotificationOptions(tools_changed=True), *args, **kw)

    low.create_initialization_options = with_list_changed  # type: ignore[method-assign]


class GrantWatch:
    """Remembers each person's open sessions and the grants their tool list was built from; `check()`
    compares with the store and notifies the sessions of everyone whose grants changed."""

    def __init__(self, access: StoreAccess, bus: Any) -> None:
        self.access = access
        self.bus = bus
        self._sessions: dict[str, dict[int, Any]] = {}  # email -> open sessions (dropped when a send fails)
        self._granted: dict[str, frozenset[str]] = {}
        self._version: int | None = None

    def seen(self, email: str, session: Any, granted: frozenset[str]) -> None:
        """A request from `email` on `session`; `granted`: the grants its view was built from.

        Only a person's first request sets what their sessions know; after that only check() does,
        when it tells them to list again. A later request's view must not: it may predate a change
        check() has already compared (a stale view), or be a tools/call that lists nothing, and either
        would make check() think the sessions already know and never tell them."""
        if session is not None:
            sessions = self._sessions.setdefault(email, {})
            sessions.pop(id(session), None)
            sessions[id(session)] = session  # most recent last
            while len(sessions) > MAX_SESSIONS:  # closed sessions are never told apart: keep the recent ones
                sessions.pop(next(iter(sessions)))
        self._granted.setdefault(email, granted)

    def _changed(self) -> dict[str, frozenset[str]]:
        # Fresh, not the version requests cache for up to `ttl`: a cached one can predate the grants
        # read below, so the next version would look unchanged, and the list the notified client asks
        # for would be built from the view cached under the old version.
        version = self.access.version(fresh=True)
        if version == self._version:
            return {}
        self._version = version
        with self.access.cursor() as cur:
            now = {email: ledger.access.active_scopes(cur, email) for email in list(self._granted)}
        return {email: scopes for email, scopes in now.items() if scopes != self._granted.get(email)}

    async def check(self) -> list[str]:
        """Notify the sessions of people whose grants changed; returns their emails."""
        changed = await anyio.to_thread.run_sync(self._changed)
        for email, scopes in changed.items():
            self._granted[email] = scopes
            for key, session in list(self._sessions.get(email, {}).items()):
                try:
                    await session.send_tool_list_changed()
                except Exception as exc:  # noqa: BLE001 - a closed session: forget it; a new one lists afresh
                    log.info("tools/list_changed not delivered to a session of %s: %s", email, exc)
                    self._sessions[email].pop(key, None)
        if changed:
            await self.bus.publish(ToolsListChanged())  # 2026-era clients listening on subscriptions/listen
        return sorted(changed)

    async def run(self, every: float) -> None:
        """Check every `every` seconds until cancelled (the HTTP app's lifespan runs this)."""
        while True:
            await anyio.sleep(every)
            try:
                await self.check()
            except Exception:  # noqa: BLE001 - keep watching; the next check retries
                log.exception("checking MCP grants for changes failed")


def run_stdio(server: MCPServer, every: float = 1.0) -> None:
    """Serve over stdio until the client closes it, checking grants every `every` seconds as the
    HTTP app does, so an IDE's session hears of a grant made meanwhile (`steward mcp grant`)."""
    watch: GrantWatch | None = getattr(server, "steward").watch

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            if watch is not None:
                tasks.start_soon(watch.run, every)
            await server.run_stdio_async()
            tasks.cancel_scope.cancel()  # the client closed stdin: stop watching

    anyio.run(main)
