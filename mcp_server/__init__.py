"""MCP front door: Steward's tools for IDE agents, over stdio and streamable HTTP (docs/mcp.md).

- mcp_server.server: `build_server(store, contexts, email=...)` -> MCPServer. Tools
  generated from the tools registry, the `ask` tool, resources, prompts, default-deny middleware.
- mcp_server.http: `build_http_app(store, contexts, ...)` -> the ASGI endpoint with bearer-token
  auth (`steward serve` routes /mcp to it), and helpers to run it (`steward mcp serve-http`).
- mcp_server.auth: bearer tokens (`steward tokens`), stored as sha256 only.
- mcp_server.grants: the FinOps Lead's MCP action-scope grants (`steward mcp grant|revoke`).
- mcp_server.access, deny, tool_handlers, resources, prompts: the parts build_server assembles.
- mcp_server.config: the `mcp` settings section (steward.settings composes it).

`contexts(cursor, email) -> ToolContext` comes from the composition root (steward.wiring): no module
here imports steward.
"""
