"""MCP front door: Steward's tools for IDE agents, over stdio and streamable HTTP (docs/mcp.md).

- mcp_server.server: `build_server(store, settings_or_ctx_factory, email=...)` -> MCPServer. Tools
  generated from the tools registry, the `ask` tool, resources, prompts, default-deny middleware.
- mcp_server.http: `build_http_app(store, settings, ...)` -> the ASGI endpoint with bearer-token
  auth (`steward serve` routes /mcp to it), and helpers to run it (`steward mcp serve-http`).
- mcp_server.auth: bearer tokens (`steward tokens`), stored as sha256 only.
- mcp_server.grants: the FinOps Lead's MCP action-scope grants (`steward mcp grant|revoke`).
"""
