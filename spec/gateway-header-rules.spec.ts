/**
 * One forbidden-header list and one classifier (lib/rules/headers.ts) decide what the gateway
 * strips and what it warns about: it sees the wire, where every server adds its own Date,
 * Connection and Keep-Alive, so only the headers a function set are worth a warning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyResponseHeader, FORBIDDEN_RESPONSE_HEADERS, FRAMING_RESPONSE_HEADERS, SERVER_RESPONSE_HEADERS } from '../lib/rules/headers.js';
import { send } from './helpers/http-client.js';
import { PROXY, startGateway } from './helpers/gateway.js';

test('the classes are parts of the one forbidden list', () => {
  for (const name of [...FRAMING_RESPONSE_HEADERS, ...SERVER_RESPONSE_HEADERS]) assert.ok(FORBIDDEN_RESPONSE_HEADERS.has(name), name);
  assert.deepEqual(['content-type', 'x-fc-status', 'content-disposition'].map((name) => classifyResponseHeader(name)), ['allowed', 'allowed', 'allowed']);
  assert.deepEqual(['content-length', 'transfer-encoding'].map((name) => classifyResponseHeader(name)), ['framing', 'framing']);
  assert.deepEqual(['date', 'connection', 'keep-alive'].map((name) => classifyResponseHeader(name)), ['server', 'server', 'server']);
  assert.deepEqual(['server', 'content-encoding', 'x-fc-request-id'].map((name) => classifyResponseHeader(name)), ['platform', 'platform', 'platform']);
});

test('a plain node:http server: its own Date, Connection, Keep-Alive and length are stripped in silence; the Server it set is warned about once', async (t) => {
  const script = 'require("http").createServer((q, s) => { s.setHeader("server", "mine"); s.end("hi"); }).listen(process.env.FC_CUSTOM_LISTEN_PORT, "0.0.0.0")';
  const s = await startGateway(t, { command: [process.execPath, '-e', script] });
  for (let i = 0; i < 2; i++) {
    const reply = await send(s.port, { path: `${PROXY}/x` });
    assert.equal(reply.text, 'hi');
    assert.equal(reply.headers.server, undefined);
  }
  assert.equal(s.err().match(/Response header "server" is set by the platform/g)?.length, 1);
  assert.doesNotMatch(s.err(), /Response header "(date|connection|keep-alive|content-length|transfer-encoding)"/);
});
