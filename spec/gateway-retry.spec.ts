/**
 * The gateway never sends an invocation to the container twice: a connection that drops after the
 * request was written is reported, never retried (the container may have run it), and a dropped
 * connection with no process exit is reported as a closed connection, not as an exit.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { countRuns, FC3, post, RECORDER, recordFile, startGateway, until, type Started } from './helpers/gateway.js';
import { type Reply } from './helpers/http-client.js';

const ROUNDS = 5;
const DROP_ROUNDS = 2;

/** Starts `n` invocations at once and waits for every reply. */
function invokeAll(port: number, n: number, body: string): Promise<Reply[]> {
  return Promise.all(Array.from({ length: n }, () => post(port, FC3, body)));
}

/**
 * Opens `n` keep-alive connections from the gateway to the container: `n` invocations held inside
 * at once (so none can reuse another's connection), then answered together.
 */
async function openConnections(s: Started, record: { lines: () => string[] }, n: number): Promise<void> {
  const holding = (): number => record.lines().filter((line) => line.includes(' hold:')).length;
  const before = holding();
  const replies = invokeAll(s.port, n, 'hold:10');
  await until(() => holding() === before + n, `${n} invocations held`);
  process.kill(-s.gateway.instance!.pid!, 'SIGUSR2');
  for (const reply of await replies) assert.equal(reply.status, 200);
}

/** Through InvokeFunction (these specs call it) a lost invocation is 200 with the error type, as FC answers it. */
function assertConnectionClosed(reply: Reply): void {
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['x-fc-error-type'], 'UnhandledInvocationError');
  const body = reply.json();
  assert.equal(body.errorType, 'ConnectionClosed', `no process exited: ${reply.text}`);
  assert.match(body.errorMessage, /^The function's server closed the connection without answering \(\w+\)$/);
}

describe('an invocation reaches the container at most once', () => {
  test('a container that drops a reused keep-alive connection mid-invocation: run once, 502 ConnectionClosed, no restart', async (t) => {
    const record = recordFile(t);
    const width = 20;
    const s = await startGateway(t, { command: RECORDER, concurrency: width, env: { EMU_RECORD: record.path } });
    const pid = s.gateway.instance!.pid;
    let dropped = 0;
    for (let round = 0; round < DROP_ROUNDS; round++) {
      await openConnections(s, record, width);
      const replies = await invokeAll(s.port, width, 'drop');
      const runs = countRuns(record.lines());
      for (const reply of replies) assert.equal(runs.get(reply.headers['x-fc-request-id'] as string), 1, 'each dropped invocation ran exactly once');
      for (const reply of replies) assertConnectionClosed(reply);
      dropped += replies.length;
    }
    const drops = record.lines().filter((line) => line.includes(' drop '));
    assert.equal(drops.length, dropped);
    const fresh = drops.filter((line) => Number(line.split(' ')[3]) < 2);
    assert.deepEqual(fresh, [], 'every drop came on a reused connection');
    assert.deepEqual(s.restarts, [], 'no process exited: the instance is kept');
    assert.equal(s.gateway.instance!.pid, pid);
    assert.ok(s.invocations.filter((summary) => summary.error === 'ConnectionClosed').length === dropped);
    console.log(`# ${dropped} dropped invocations on reused connections: each ran once, each answered 502 ConnectionClosed`);
  });

  test('a 2-worker container whose worker crashes mid-invocation: the other worker never runs it again', async (t) => {
    const record = recordFile(t);
    // One at a time: a worker that crashes takes its other connections with it, and Node's cluster
    // loses a connection it was handing to a dying worker (that one would hang to the timeout).
    const width = 1;
    const s = await startGateway(t, { command: RECORDER, concurrency: width, timeout: 5, env: { EMU_RECORD: record.path, EMU_WORKERS: '2' } });
    const pid = s.gateway.instance!.pid;
    let crashes = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await openConnections(s, record, width);
      const replies = await invokeAll(s.port, width, 'crash');
      const runs = countRuns(record.lines());
      for (const reply of replies) {
        assert.ok((runs.get(reply.headers['x-fc-request-id'] as string) ?? 0) <= 1, `ran at most once:\n${record.lines().join('\n')}`);
      }
      for (const reply of replies) assertConnectionClosed(reply);
      crashes += replies.length;
    }
    const workers = new Set(record.lines().map((line) => line.split(' ')[0]));
    assert.ok(workers.size >= 2, 'the invocations were spread over the workers');
    assert.deepEqual(s.restarts, [], 'the container\'s process did not exit');
    assert.equal(s.gateway.instance!.pid, pid);
    console.log(`# ${crashes} invocations whose worker crashed (${workers.size} worker pids): none ran twice`);
  });
});
