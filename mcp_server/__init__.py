"""MCP front door: Steward's tools for IDE agents, over stdio and streamable HTTP.

- `build_server(store, settings_or_ctx_factory, email=...)` (mcp_server.server): the MCPServer.
- `build_http_app(store, settings, ...)` (mcp_server.http): the ASGI app with bearer-token auth.
- mcp_server.auth: tokens (`steward tokens`); mcp_server.grants: default-deny action scopes
  (`steward mcp grant`).
"""
