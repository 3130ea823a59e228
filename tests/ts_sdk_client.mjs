// An independent MCP client: the official TypeScript SDK, driving Steward's streamable HTTP endpoint.
// Usage: node ts_sdk_client.mjs URL [TOKEN]. Prints one JSON object (what Python's test checks).
// The SDK validates every response with its own schemas and, on callTool, the structured result
// against the tool's advertised outputSchema (Ajv): a mismatch is an error here.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, token] = process.argv.slice(2);
const headers = token ? { Authorization: `Bearer ${token}` } : {};
const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
const client = new Client({ name: "steward-ts-interop", version: "1.0.0" });
const out = {};
try {
  await client.connect(transport);
  out.server = client.getServerVersion();
  out.capabilities = client.getServerCapabilities();
  const listed = await client.listTools();
  out.tools = listed.tools.map((t) => ({ name: t.name, inputSchema: t.inputSchema, outputSchema: t.outputSchema,
                                         annotations: t.annotations }));
  const status = await client.callTool({ name: "estimate_status", arguments: { product: "Checkout" } });
  out.estimate_status = { isError: status.isError ?? false, structured: status.structuredContent };
  const refused = await client.callTool({ name: "estimate_status", arguments: { product: "HR Portal" } });
  out.out_of_scope = { isError: refused.isError ?? false, text: refused.content?.[0]?.text };
  try {
    await client.callTool({ name: "pause_product", arguments: { product: "Checkout", rationale: "x" } });
    out.hidden_tool = { error: null };
  } catch (e) {
    out.hidden_tool = { error: String(e.message ?? e), code: e.code ?? null };
  }
  await client.close();
} catch (e) {
  out.error = { message: String(e.message ?? e), code: e.code ?? null, name: e.constructor?.name ?? null };
}
console.log(JSON.stringify(out));
process.exit(0);
