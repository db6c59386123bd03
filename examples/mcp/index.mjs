// An MCP server over Streamable HTTP as an HTTP function. Stateless: every request builds its own
// McpServer and transport (no session id, nothing kept between requests), so any FC instance can
// answer any request, and FC may scale out or recycle instances freely. `fc-container serve
// index.mjs` (the image's CMD) listens on FC's port, applies FC's limits and header rules and
// prints FC's log markers.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import * as z from 'zod';

function createServer() {
  const server = new McpServer({ name: 'fc-container-example-mcp', version: '1.0.0' });
  server.registerTool('add', {
    description: 'Adds two numbers',
    inputSchema: { a: z.number(), b: z.number() },
  }, async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
  server.registerResource('readme', 'docs://readme', { mimeType: 'text/plain' }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'A stateless MCP server on Function Compute.' }],
  }));
  return server;
}

// A JSON-RPC error, as the SDK's stateless example answers GET (no standalone SSE stream without
// a session) and DELETE (no session to end) with 405; other paths get 404.
function refuse(res, status, message) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

export async function http(req, res) {
  const path = new URL(req.url, 'http://localhost').pathname;
  if (path !== '/mcp') return refuse(res, 404, 'Not found.');
  if (req.method !== 'POST') return refuse(res, 405, 'Method not allowed.');
  const server = createServer();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  // Released when the response is done (or the caller goes away), not before: the answer may be
  // an SSE stream still being written after handleRequest returns.
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  try {
    await server.connect(transport);
    // No parsed body: the transport reads and parses the JSON itself.
    await transport.handleRequest(req, res);
  } catch (error) {
    console.error('MCP request failed:', error);
    if (!res.headersSent) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal server error' }, id: null }));
    }
  }
}
