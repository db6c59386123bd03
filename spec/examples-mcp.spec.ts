/**
 * examples/mcp: a stateless MCP server over Streamable HTTP, called with the MCP SDK's own
 * client, as its image runs it (`serve`) and behind the local gateway on both domain forms.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { PROXY } from './helpers/gateway.js';
import { emulateExample, startExample } from './helpers/examples.js';

/** One HTTP exchange the client made: what it sent and what it got back. */
interface Exchange {
  method: string;
  status: number;
  /** The id the runtime logged it under: the one sent (serve) or the one the gateway answered with. */
  requestId: string;
  sentSessionId: string | null;
  gotSessionId: string | null;
}

let sent = 0;

/**
 * An SDK client connected to `url`, closed after the test, with every exchange its transport made
 * recorded. `ownRequestIds` sends an `x-fc-request-id` per request, as FC does in front of `serve`.
 */
async function connect(t: TestContext, url: string, ownRequestIds = false): Promise<{ client: Client; exchanges: Exchange[]; settled: () => Promise<unknown> }> {
  const exchanges: Exchange[] = [];
  const inFlight: Promise<unknown>[] = [];
  const recordingFetch = (input: string | URL, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    const method = init?.method ?? 'GET';
    if (ownRequestIds) headers.set('x-fc-request-id', `mcp-spec-${process.pid}-${++sent}`);
    const reply = fetch(input, { ...init, headers }).then((response) => {
      exchanges.push({
        method,
        status: response.status,
        requestId: headers.get('x-fc-request-id') ?? response.headers.get('x-fc-request-id') ?? '',
        sentSessionId: headers.get('mcp-session-id'),
        gotSessionId: response.headers.get('mcp-session-id'),
      });
      return response;
    });
    inFlight.push(reply.catch(() => undefined));
    return reply;
  };
  const client = new Client({ name: 'examples-mcp-spec', version: '1.0.0' });
  t.after(() => client.close());
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: recordingFetch }));
  // The client's GET for a standalone SSE stream is sent in the background: wait for it too.
  const settled = async (): Promise<unknown> => Promise.all(inFlight);
  return { client, exchanges, settled };
}

/** Lists the tools and calls `add`, as any MCP client would. */
async function useTools(client: Client): Promise<void> {
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((tool) => tool.name), ['add']);
  assert.deepEqual(Object.keys(tools[0]!.inputSchema.properties ?? {}).sort(), ['a', 'b']);
  const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
  assert.deepEqual(result.content, [{ type: 'text', text: '5' }]);
  const { contents } = await client.readResource({ uri: 'docs://readme' });
  assert.deepEqual(contents, [{ uri: 'docs://readme', mimeType: 'text/plain', text: 'A stateless MCP server on Function Compute.' }]);
}

/** Every POST got 200 (an answer) or 202 (a notification), the client's GET the protocol's 405. */
function assertStatuses(exchanges: readonly Exchange[]): void {
  const posts = exchanges.filter((e) => e.method === 'POST');
  // initialize, notifications/initialized, tools/list, tools/call, resources/read
  assert.equal(posts.length, 5, JSON.stringify(exchanges));
  for (const e of posts) assert.ok(e.status === 200 || e.status === 202, JSON.stringify(e));
  for (const e of exchanges.filter((x) => x.method !== 'POST')) assert.deepEqual([e.method, e.status], ['GET', 405]);
}

test('through serve, as the image runs it: the SDK client connects, lists and calls the tool, reads the resource; each request between FC\'s markers', async (t) => {
  const child = await startExample('mcp');
  t.after(() => child.kill('SIGKILL'));
  const { client, exchanges, settled } = await connect(t, `http://127.0.0.1:${child.port}/mcp`, true);
  await useTools(client);
  await settled();
  assertStatuses(exchanges);
  for (const method of ['GET', 'DELETE']) {
    const refused = await fetch(`http://127.0.0.1:${child.port}/mcp`, { method });
    assert.equal(refused.status, 405, method);
    assert.deepEqual(await refused.json(), { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
  }
  for (const { requestId } of exchanges) {
    await child.waitForOutput(new RegExp(`FC Invoke Start RequestId: ${requestId}\\n[^]*FC Invoke End RequestId: ${requestId}\\n`));
  }
});

for (const [form, options, path] of [
  ['the default domain, FC\'s base path stripped', {}, `${PROXY}/mcp`],
  ['a custom domain, at the root', { customDomain: true }, '/mcp'],
] as const) {
  test(`through the gateway on ${form}: the SDK client connects, lists and calls the tool, reads the resource`, async (t) => {
    const s = await emulateExample(t, 'mcp', options);
    const { client, exchanges, settled } = await connect(t, `http://127.0.0.1:${s.port}${path}`);
    await useTools(client);
    await settled();
    assertStatuses(exchanges);
    // Each exchange was one invocation: the function's markers and the gateway's summary line.
    for (const { requestId, method, status } of exchanges) {
      assert.ok(requestId, 'the gateway answers with x-fc-request-id');
      await s.outWritten(new RegExp(`FC Invoke End RequestId: ${requestId}\\n`));
      await s.outWritten(new RegExp(`RequestId: ${requestId} HTTP ${method} ${path} -> ${status} `));
    }
  });
}

test('stateless: two separate clients both work, and no mcp-session-id is sent or returned', async (t) => {
  const child = await startExample('mcp');
  t.after(() => child.kill('SIGKILL'));
  const url = `http://127.0.0.1:${child.port}/mcp`;
  const first = await connect(t, url);
  const second = await connect(t, url);
  await useTools(second.client);
  await useTools(first.client);
  await Promise.all([first.settled(), second.settled()]);
  for (const exchanges of [first.exchanges, second.exchanges]) {
    assertStatuses(exchanges);
    for (const exchange of exchanges) {
      assert.equal(exchange.gotSessionId, null);
      assert.equal(exchange.sentSessionId, null);
    }
  }
});
