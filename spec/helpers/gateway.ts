/**
 * Shared by the gateway's behaviour specs (spec/gateway-*.spec.ts): a gateway started in this
 * process in front of a real child process, its output kept, its events recorded, and a file the
 * recorder fixture (spec/fixtures/emu-recorder.cjs) appends every invocation it runs to.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createGateway, type Gateway, type GatewayOptions, type InitializeReport, type InvocationSummary } from '../../lib/emulator.js';
import { send, type Reply } from './http-client.js';
import { FIXTURES } from './paths.js';

export const RECORDER = [process.execPath, join(FIXTURES, 'emu-recorder.cjs')];
export const FC3 = '/2023-03-30/functions/my-function/invocations';
export const PROXY = '/2016-08-15/proxy/my-service/my-function';

type TestContext = { after: (fn: () => unknown) => void };

/** A Writable that keeps what is written to it; `written(pattern)` resolves once the text matches. */
export function sink(): { stream: Writable; text: () => string; written: (pattern: RegExp) => Promise<void> } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      stream.emit('written');
      callback();
    },
  });
  const written = (pattern: RegExp): Promise<void> => new Promise((resolve) => {
    const check = (): void => {
      if (!pattern.test(text)) return;
      stream.off('written', check);
      resolve();
    };
    stream.on('written', check);
    check();
  });
  return { stream, text: () => text, written };
}

export interface Started {
  gateway: Gateway;
  port: number;
  out: () => string;
  /** Resolves once the gateway's stdout matches `pattern`: the child's output comes through a pipe, on its own time. */
  outWritten: (pattern: RegExp) => Promise<void>;
  err: () => string;
  invocations: InvocationSummary[];
  initializations: InitializeReport[];
  restarts: string[];
}

/**
 * Starts a gateway on a free port, closed after the test when `t` is given; `stdout`/`stderr`
 * default to sinks kept in `out`/`err`, and its events are recorded.
 */
export async function startGateway(t: TestContext | undefined, options: GatewayOptions): Promise<Started> {
  const out = sink();
  const err = sink();
  const gateway = await createGateway({ port: 0, stdout: out.stream, stderr: err.stream, stopTimeout: 2, ...options });
  t?.after(() => gateway.close());
  const started: Started = {
    gateway, port: gateway.port, out: out.text, outWritten: out.written, err: err.text, invocations: [], initializations: [], restarts: [],
  };
  gateway.on('invocation', (summary: InvocationSummary) => started.invocations.push(summary));
  gateway.on('initialize', (report: InitializeReport) => started.initializations.push(report));
  gateway.on('restart', (event: { reason: string }) => started.restarts.push(event.reason));
  return started;
}

export function post(port: number, path: string, body: string | Buffer = '', headers: Record<string, string> = {}): Promise<Reply> {
  return send(port, { method: 'POST', path, body, headers });
}

/** Resolves once `check()` holds (polled every 5 ms); rejects naming `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A fresh record file for the recorder fixture (removed after the test), and a reader of its lines. */
export function recordFile(t: TestContext): { path: string; lines: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'fc-gateway-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'record');
  const lines = (): string[] => {
    try {
      return readFileSync(path, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  return { path, lines };
}

/** How many times each request id appears in the record (`<pid> <request id> <body>` lines). */
export function countRuns(lines: readonly string[]): Map<string, number> {
  const runs = new Map<string, number>();
  for (const line of lines) {
    const id = line.split(' ')[1]!;
    runs.set(id, (runs.get(id) ?? 0) + 1);
  }
  return runs;
}

/**
 * The code of a platform error in the shape the path's API answers: FC 3.0's API (`/2023-03-30/`)
 * `{"Code","Message","RequestId"}`, everything else `{"ErrorCode","ErrorMessage"}`. Throws when
 * the body has the other shape.
 */
export function readPlatformErrorCode(reply: Reply, path: string): string {
  const body = reply.json() as Record<string, unknown>;
  const fc3 = path.startsWith('/2023-03-30/');
  const [code, other] = fc3 ? ['Code', 'ErrorCode'] : ['ErrorCode', 'Code'];
  if (other in body || typeof body[code] !== 'string') throw new Error(`not the ${fc3 ? 'FC 3.0 API' : 'FC 2.0'} error shape for ${path}: ${reply.text}`);
  return body[code] as string;
}
