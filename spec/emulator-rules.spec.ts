/**
 * The gateway's rules, each against a real child process: FC's request limits (400
 * InvalidArgument, and the client reads it instead of a reset), the request headers it drops, the
 * response-header rules (strip, 502 BadResponse), the Initializer's retries and restarts, the
 * timeout, and crashes. Mostly against a misbehaving bare server (spec/fixtures/emu-misbehaving.cjs).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, FC3, PROXY, post } from './helpers/gateway.js';
import { send, type Reply } from './helpers/http-client.js';
import { FIXTURES } from './helpers/paths.js';
import { exchange, rawUpload, sendRaw } from './helpers/raw-client.js';

const BARE = [process.execPath, join(FIXTURES, 'emu-bare.cjs')];
const MISBEHAVING = [process.execPath, join(FIXTURES, 'emu-misbehaving.cjs')];
const MiB = 1024 * 1024;

function stateFile(t: { after: (fn: () => unknown) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fc-emulate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'state');
}


function assertRefused(reply: Reply, pattern: RegExp): void {
  assert.equal(reply.status, 400);
  assert.equal(reply.headers['content-type'], 'application/json');
  assert.equal(reply.headers['x-fc-error-type'], 'FcCommonError');
  assert.ok(reply.headers['x-fc-request-id']);
  const body = reply.json();
  assert.deepEqual(Object.keys(body), ['ErrorCode', 'ErrorMessage']);
  assert.equal(body.ErrorCode, 'InvalidArgument');
  assert.match(body.ErrorMessage, pattern);
}

describe('request limits (the core\'s numbers and messages)', () => {
  test('request headers over 4 KB: 400 InvalidArgument; the function never sees it', async (t) => {
    const s = await startGateway(t, { command: BARE });
    const reply = await send(s.port, { path: `${PROXY}/x`, headers: { 'x-big': 'h'.repeat(4100) } });
    assertRefused(reply, /^Request headers are \d+ bytes \(names and values, x-fc-\* excluded\); the limit is 4096 bytes$/);
    assert.equal(s.invocations.length, 0);
    // Just under the limit passes.
    assert.equal((await send(s.port, { path: `${PROXY}/x`, headers: { 'x-big': 'h'.repeat(3900) } })).status, 200);
  });

  test('a path over 4 KB (query included): 400 InvalidArgument', async (t) => {
    const s = await startGateway(t, { command: BARE });
    const reply = await send(s.port, { path: `${PROXY}/x?q=${'p'.repeat(4100)}` });
    assertRefused(reply, /^Request path is \d+ bytes; the limit is 4096 bytes$/);
    assert.equal(s.invocations.length, 0);
  });

  for (const framing of ['content-length', 'chunked'] as const) {
    test(`a 24 MiB upload (${framing}) keeps being read after the 400, so the client reads it instead of a reset`, async (t) => {
      const s = await startGateway(t, { command: BARE });
      const upload = await rawUpload(s.port, { path: framing === 'content-length' ? FC3 : `${PROXY}/upload`, headers: [['Host', '127.0.0.1'], ['Content-Type', 'application/octet-stream']], total: 24 * MiB, chunked: framing === 'chunked' });
      const result = { ...upload, reply: upload.reply?.raw ?? '' };
      assert.equal(result.error, undefined, `the client saw "${result.error?.message}" after sending ${result.sent} bytes; it had read: ${JSON.stringify(result.reply.slice(0, 60))}`);
      assert.match(result.reply, /^HTTP\/1\.1 400 /);
      assert.match(result.reply, /\r\nconnection: close\r\n/i);
      assert.match(result.reply, /\r\nx-fc-error-type: FcCommonError\r\n/);
      const body = JSON.parse(result.reply.slice(result.reply.indexOf('\r\n\r\n') + 4));
      // The content-length case goes to FC 3.0's API (its error shape), the chunked one to the HTTP trigger.
      assert.equal(framing === 'content-length' ? body.Code : body.ErrorCode, 'InvalidArgument');
      assert.match(framing === 'content-length' ? body.Message : body.ErrorMessage, framing === 'content-length'
        ? /^Request body is 25165824 bytes \(content-length\); the limit is 6291456 bytes$/
        : /^Request body exceeds the limit of 6291456 bytes/);
      assert.equal(s.invocations.length, 0, 'the function never runs');
    });
  }

  test('Expect: 100-continue over the limit gets the 400 instead of 100 Continue', async (t) => {
    const s = await startGateway(t, { command: BARE });
    const raw = await sendRaw(s.port, `POST ${FC3} HTTP/1.1\r\nHost: x\r\nContent-Length: ${7 * MiB}\r\nExpect: 100-continue\r\n\r\n`);
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.doesNotMatch(raw, /100 Continue/);
    assert.match(raw, /"Code":"InvalidArgument","Message":"[^"]+","RequestId":"[^"]+"/);
  });

  test('Expect: 100-continue over the limit with the body sent at once: 20 of 20 get the 400', async (t) => {
    const s = await startGateway(t, { command: BARE });
    const request = Buffer.concat([
      Buffer.from(`POST ${FC3} HTTP/1.1\r\nHost: x\r\nContent-Length: ${7 * MiB}\r\nExpect: 100-continue\r\n\r\n`),
      Buffer.alloc(7 * MiB, 0x63),
    ]);
    for (let i = 0; i < 20; i++) {
      const reply = await exchange(s.port, request);
      assert.equal(reply.status, 400, `try ${i}`);
      assert.equal(reply.json().Code, 'InvalidArgument');
    }
    assert.equal(s.invocations.length, 0, 'the function never runs');
  });

  test('Expect: 100-continue within the limits gets 100 Continue, then the function\'s answer', async (t) => {
    const s = await startGateway(t, { command: BARE });
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(s.port, '127.0.0.1');
      let text = '';
      socket.on('connect', () => socket.write(`POST ${FC3} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n`));
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        // The body goes only after the interim answer, as a client that honours Expect does.
        if (text.startsWith('HTTP/1.1 100 Continue\r\n\r\n') && !text.includes('hello')) socket.write('hello');
        if (/"event":"hello"/.test(text)) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
      setTimeout(() => { socket.destroy(); reject(new Error(`no answer: ${JSON.stringify(text)}`)); }, 5000).unref();
    });
    assert.match(raw, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  });

  test('--limits fc3: FC 3.0\'s numbers, and the command is told FC_CONTAINER_LIMITS=fc3', async (t) => {
    const s = await startGateway(t, { command: BARE, limits: 'fc3' });
    const reply = await post(s.port, FC3, Buffer.alloc(7 * MiB, 0x63));
    assert.equal(reply.status, 200);
    const body = reply.json();
    assert.equal(body.event.length, 7 * MiB);
    assert.equal(body.env.FC_CONTAINER_LIMITS, 'fc3');
    // 8 KB of headers pass; past it they do not.
    assert.equal((await send(s.port, { path: `${PROXY}/x`, headers: { 'x-big': 'h'.repeat(6000) } })).status, 200);
    assertRefused(await send(s.port, { path: `${PROXY}/x`, headers: { 'x-big': 'h'.repeat(8200) } }), /the limit is 8192 bytes/);
  });

  test('a malformed request gets FC\'s JSON 400, not Node\'s bare one', async (t) => {
    const s = await startGateway(t, { command: BARE });
    const raw = await sendRaw(s.port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(raw, /x-fc-request-id: [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\r\n/);
    assert.match(raw, /"ErrorCode":"InvalidArgument","ErrorMessage":"Malformed HTTP request/);
  });
});

describe('request headers FC drops', () => {
  test('client x-fc-* and accept-encoding, connection, keep-alive, proxy-authorization, te, trailer, transfer-encoding never reach the function', async (t) => {
    const s = await startGateway(t, { command: BARE });
    const reply = await send(s.port, {
      method: 'POST',
      path: `${PROXY}/h`,
      body: 'chunked body',
      headers: {
        'X-Fc-Access-Key-Id': 'forged',
        'x-fc-control-path': '/initialize',
        'x-fc-anything': 'x',
        'accept-encoding': 'gzip, br',
        connection: 'keep-alive',
        'keep-alive': 'timeout=5',
        'proxy-authorization': 'Basic Zm9vOmJhcg==',
        te: 'trailers',
        trailer: 'x-checksum',
        'transfer-encoding': 'chunked',
        'x-app': 'kept',
      },
    });
    const { headers, rawHeaders, body } = reply.json();
    assert.equal(body, 'chunked body');
    assert.equal(headers['x-app'], 'kept');
    assert.equal(headers['x-fc-control-path'], '/http-invoke');
    assert.equal(headers['x-fc-access-key-id'], undefined, 'a forged credential header is dropped (none is configured)');
    assert.equal(headers['x-fc-anything'], undefined);
    for (const name of ['accept-encoding', 'keep-alive', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding']) {
      assert.equal(headers[name], undefined, name);
    }
    assert.equal(headers['content-length'], String('chunked body'.length), 'the gateway frames the body itself');
    const names = (rawHeaders as string[]).filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
    assert.equal(names.filter((name) => name === 'x-fc-control-path').length, 1);
  });
});

describe('response rules', () => {
  test('response headers over 4 KB: 502 BadResponse with the core\'s message', async (t) => {
    const s = await startGateway(t, { command: MISBEHAVING });
    const reply = await send(s.port, { path: `${PROXY}/big-headers` });
    assert.equal(reply.status, 502);
    assert.equal(reply.headers['x-fc-error-type'], 'UnhandledInvocationError');
    assert.ok(reply.headers['x-fc-request-id']);
    assert.equal(reply.headers['x-big'], undefined);
    assert.deepEqual(reply.json(), {
      ErrorCode: 'BadResponse',
      ErrorMessage: `Response headers are ${'x-big'.length + 5000 + 'content-type'.length + 'text/plain'.length} bytes (names and values, after stripping); the limit is 4096 bytes`,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(s.invocations.at(-1)!.error, 'BadResponse');
    // The same rule on an event invocation's reply; the gateway goes on.
    assert.equal((await send(s.port, { path: `${PROXY}/fine` })).status, 200);
  });

  test('headers a function cannot set are stripped (warned once); x-fc-status is read, never passed on', async (t) => {
    const s = await startGateway(t, { command: MISBEHAVING });
    for (let i = 0; i < 2; i++) {
      const reply = await send(s.port, { path: `${PROXY}/forbidden` });
      assert.equal(reply.status, 200);
      assert.equal(reply.text, 'forbidden headers');
      assert.equal(reply.headers['x-kept'], 'yes');
      assert.equal(reply.headers.server, undefined);
      assert.equal(reply.headers['x-fc-anything'], undefined);
      assert.equal(reply.headers['content-encoding'], undefined);
      assert.equal(reply.headers.upgrade, undefined);
      assert.equal(reply.headers['x-fc-status'], undefined);
      assert.notEqual(reply.headers['x-fc-request-id'], 'spoofed');
      assert.match(reply.headers['x-fc-request-id'] as string, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(reply.headers['x-fc-error-type'], undefined);
    }
    assert.equal(s.err().match(/Response header "server" is set by the platform/g)?.length, 1);
    assert.match(s.err(), /Response header "x-fc-anything"/);
  });

  test('an HTTP response with x-fc-status: 404 keeps its status and body and is marked x-fc-error-type', async (t) => {
    const s = await startGateway(t, { command: MISBEHAVING });
    const reply = await send(s.port, { path: `${PROXY}/failing` });
    assert.equal(reply.status, 500);
    assert.equal(reply.text, 'app failed');
    assert.equal(reply.headers['x-fc-error-type'], 'UnhandledInvocationError');
    assert.equal(reply.headers['x-fc-status'], undefined);
  });

  test('content-disposition: attachment is forced on the default domain, the app\'s own kept on a custom domain', async (t) => {
    const s = await startGateway(t, { command: MISBEHAVING, customDomain: true });
    assert.equal((await send(s.port, { path: `${PROXY}/download` })).headers['content-disposition'], 'attachment');
    assert.equal((await send(s.port, { path: `${PROXY}/plain` })).headers['content-disposition'], 'attachment');
    assert.equal((await send(s.port, { path: '/download' })).headers['content-disposition'], 'attachment; filename="report.csv"');
    assert.equal((await send(s.port, { path: '/plain' })).headers['content-disposition'], undefined);
  });
});

describe('timeout', () => {
  test('past --timeout: UnhandledInvocationError "Function timed out after S seconds", and the instance is restarted', { timeout: 15_000 }, async (t) => {
    const s = await startGateway(t, { command: MISBEHAVING, timeout: 0.5 });
    const before = (await post(s.port, FC3, 'x')).text;
    const pid = /invoked by (\d+)/.exec(before)![1];
    const started = Date.now();
    const reply = await post(s.port, FC3, 'hang');
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 450 && elapsed < 3000, `answered after ${elapsed} ms`);
    // Through InvokeFunction a timeout is 200 with the error type, as FC answers it.
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-fc-error-type'], 'UnhandledInvocationError');
    const body = reply.json();
    assert.match(body.errorMessage, /^Function timed out after 0\.5 seconds/);
    assert.equal(body.errorType, 'FunctionTimeout');
    assert.deepEqual(s.restarts, ['an invocation timed out after 0.5 s']);
    // The next request runs on a new instance.
    const after = (await post(s.port, FC3, 'y')).text;
    assert.notEqual(/invoked by (\d+)/.exec(after)![1], pid);
    assert.equal(s.invocations.find((summary) => summary.error === 'FunctionTimeout')?.status, 200);
  });

  test('an HTTP request past the timeout gets the same error', { timeout: 15_000 }, async (t) => {
    const s = await startGateway(t, { command: MISBEHAVING, timeout: 0.3 });
    const reply = await send(s.port, { path: `${PROXY}/hang` });
    assert.equal(reply.status, 502);
    assert.match(reply.json().errorMessage, /^Function timed out after 0\.3 seconds/);
  });
});

describe('the Initializer', () => {
  test('400/404: the request fails with the container\'s answer, and the next request sends it again', async (t) => {
    const s = await startGateway(t, { command: MISBEHAVING, initializer: true, env: { EMU_INIT: '404-once', EMU_STATE: stateFile(t) } });
    const first = await post(s.port, FC3, 'one');
    // Through InvokeFunction an Initializer failure is 200 with InitializationError.
    assert.equal(first.status, 200);
    assert.equal(first.text, 'init failed 404');
    assert.equal(first.headers['x-fc-error-type'], 'InitializationError');
    assert.equal(first.headers['x-fc-status'], undefined);
    const pid = s.gateway.instance!.pid;
    const second = await post(s.port, FC3, 'two');
    assert.equal(second.status, 200);
    assert.match(second.text, /invoked by \d+: two/);
    assert.equal(s.gateway.instance!.pid, pid, 'no restart for a 404');
    assert.deepEqual(s.initializations.map((report) => [report.ok, report.status]), [[false, 404], [true, 200]]);
    // Initialized now: not sent again.
    await post(s.port, FC3, 'three');
    assert.equal(s.initializations.length, 2);
  });

  test('500: the command is restarted, and the next request initializes the new instance', { timeout: 15_000 }, async (t) => {
    const s = await startGateway(t, { command: MISBEHAVING, initializer: true, env: { EMU_INIT: '500-once', EMU_STATE: stateFile(t) } });
    const pid = s.gateway.instance!.pid;
    const first = await post(s.port, FC3, 'one');
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-fc-error-type'], 'InitializationError');
    assert.equal(first.text, 'init failed 500');
    const second = await post(s.port, FC3, 'two');
    assert.equal(second.status, 200);
    const newPid = Number(/invoked by (\d+)/.exec(second.text)![1]);
    assert.notEqual(newPid, pid);
    assert.equal(s.gateway.instance!.pid, newPid);
    assert.deepEqual(s.initializations.map((report) => report.status), [500, 200]);
    assert.deepEqual(s.restarts, ['the Initializer answered 500']);
  });

  test('a crash during the Initializer: the request fails with the exit code, and a new instance serves the next one', { timeout: 15_000 }, async (t) => {
    const s = await startGateway(t, { command: MISBEHAVING, initializer: true, env: { EMU_INIT: 'crash-once', EMU_STATE: stateFile(t) } });
    const first = await post(s.port, FC3, 'one');
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-fc-error-type'], 'InitializationError');
    assert.match(first.json().errorMessage, /^Process exited unexpectedly before completing request \(exit code 7\)/);
    assert.match(s.out(), /\[my-function\] crashing during init/);
    const second = await post(s.port, FC3, 'two');
    assert.equal(second.status, 200);
    assert.deepEqual(s.initializations.map((report) => report.ok), [false, true]);
  });

  test('requests that arrive during the run wait for it: one run for all', async (t) => {
    const s = await startGateway(t, { command: MISBEHAVING, initializer: true, concurrency: 3, env: { EMU_INIT: 'slow' } });
    const replies = await Promise.all([post(s.port, FC3, 'a'), post(s.port, FC3, 'b'), post(s.port, FC3, 'c')]);
    assert.deepEqual(replies.map((reply) => reply.status), [200, 200, 200]);
    assert.equal(s.initializations.length, 1);
    assert.equal(s.out().match(/initialize \(slow\)/g)?.length, 1);
  });

  test('past --initialization-timeout: the request fails and the instance is restarted', { timeout: 15_000 }, async (t) => {
    const s = await startGateway(t, { command: MISBEHAVING, initializer: true, initializationTimeout: 0.1, env: { EMU_INIT: 'slow' } });
    const reply = await post(s.port, FC3, 'a');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-fc-error-type'], 'InitializationError');
    assert.equal(reply.json().errorMessage, 'Initializer timed out after 0.1 seconds');
    assert.deepEqual(s.restarts, ['the Initializer timed out']);
  });
});

describe('crashes', () => {
  test('a process that exits mid-invocation: 502 with the exit code, then a new instance', { timeout: 15_000 }, async (t) => {
    const s = await startGateway(t, { command: MISBEHAVING });
    const pid = s.gateway.instance!.pid;
    const reply = await post(s.port, FC3, 'crash');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-fc-error-type'], 'UnhandledInvocationError');
    assert.match(reply.json().errorMessage, /exit code 3/);
    const next = await post(s.port, FC3, 'after');
    assert.equal(next.status, 200);
    assert.notEqual(s.gateway.instance!.pid, pid);
    assert.match(s.err(), /exited unexpectedly \(code 3\)/);
  });

  test('a server on 127.0.0.1 only is warned about: FC could not reach it (FunctionNotStarted)', async (t) => {
    // The bind address is read from /proc (only loopback traffic here), which only Linux has.
    if (process.platform !== 'linux') {
      t.skip('the listen address is read from /proc');
      return;
    }
    const script = 'require("http").createServer((q, s) => s.end("local")).listen(process.env.FC_CUSTOM_LISTEN_PORT, "127.0.0.1")';
    const s = await startGateway(t, { command: [process.execPath, '-e', script] });
    assert.equal((await post(s.port, FC3, 'x')).text, 'local', 'it still works locally');
    const deadline = Date.now() + 3000;
    while (!/127\.0\.0\.1 only/.test(s.err()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.match(s.err(), /the function accepts connections on 127\.0\.0\.1 only.*listen on 0\.0\.0\.0, or FC reports FunctionNotStarted/);
    const bare = await startGateway(t, { command: BARE });
    await post(bare.port, FC3, 'x');
    assert.doesNotMatch(bare.err(), /127\.0\.0\.1 only/);
  });

  test('a client that leaves mid-body is not forwarded', async (t) => {
    const s = await startGateway(t, { command: BARE });
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: s.port, method: 'POST', path: FC3, headers: { 'content-length': '1000' } });
      req.on('error', () => resolve());
      req.write('partial');
      setTimeout(() => { req.destroy(); resolve(); }, 50);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(s.invocations.length, 0);
    assert.equal((await post(s.port, FC3, 'still fine')).status, 200);
  });
});
