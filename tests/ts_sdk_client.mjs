// An independent MCP client: the official TypeScript SDK, driving Steward over streamable HTTP or stdio.
// Usage: node ts_sdk_client.mjs [--watch N] URL [TOKEN]           streamable HTTP
//        node ts_sdk_client.mjs [--watch N] --stdio CMD [ARGS...]  stdio: the SDK spawns CMD (steward mcp --as EMAIL)
// Without --watch it lists tools, calls some and prints one JSON object (what Python's test checks).
// With --watch N it lists the tools, prints {"phase": "listed", "tools": [...]}, then N times waits for
// notifications/tools/list_changed, lists again and prints {"phase": "changed", "tools": [...]}: the
// Python test changes the person's grants between those lines.
// The SDK validates every response with its own schemas and, on callTool, the structured result
// against the tool's advertised outputSchema (Ajv): a mismatch is an error here.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";

let args = process.argv.slice(2);
let watch = 0;
if (args[0] === "--watch") {
  watch = Number(args[1]);
  args = args.slice(2);
}

function transportFor(args) {
  if (args[0] === "--stdio") {
    // the child's environment is the SDK's safe default plus what steward needs (set by the test)
    const env = Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined));
    return new StdioClientTransport({ command: args[1], args: args.slice(2), env, stderr: "inherit" });
  }
  const [url, token] = args;
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  return new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
}

function print(obj) {
  console.log(JSON.stringify(obj));
}

async function checks(client, out) {
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
}

async function follow(client, changes) {
  let notified = 0;
  let wake = null;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    notified += 1;
    if (wake) wake();
  });
  const names = async () => (await client.listTools()).tools.map((t) => t.name);
  print({ phase: "listed", listChanged: client.getServerCapabilities()?.tools?.listChanged ?? null,
          tools: await names() });
  for (let seen = 0; seen < changes; seen++) {
    if (notified <= seen) {
      await new Promise((resolve, reject) => {
        wake = resolve;
        setTimeout(() => reject(new Error("no notifications/tools/list_changed within 60 s")), 60000);
      });
    }
    print({ phase: "changed", tools: await names() });
  }
}

const client = new Client({ name: "steward-ts-interop", version: "1.0.0" });
const out = {};
try {
  await client.connect(transportFor(args));
  if (watch > 0) {
    await follow(client, watch);
  } else {
    await checks(client, out);
  }
  await client.close();
} catch (e) {
  out.error = { message: String(e.message ?? e), code: e.code ?? null, name: e.constructor?.name ?? null };
}
print(out);
process.exit(0);
