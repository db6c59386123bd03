/**
 * Test harness: real servers on 127.0.0.1 (in this process or a child process), a small HTTP
 * client on node:http, and raw TCP sockets for wire-level cases. No mocks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest, type Agent, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createServer, type Handlers, type Options } from '../lib/index.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const FIXTURES = join(ROOT, 'spec', 'fixtures');
export const CLI = join(ROOT, 'lib', 'cli.ts');

/** A server of ours listening on 127.0.0.1 in this process. */
export interface LocalServer {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/**
 * Starts `createServer(handlers, options)` on 127.0.0.1 and a free port. Markers and log lines
 * are off unless `options` turns them on (they would mix into the test runner's own output);
 * specs about output use {@link spawnServer}.
 */
export async function startServer(handlers: Handlers, options: Options = {}): Promise<LocalServer> {
  const server = createServer(handlers, { markers: false, logLevel: 'silent', ...options });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A response read whole. */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  text: string;
  json<T = any>(): T;
}

export interface RequestOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string | string[] | number>;
  body?: string | Buffer;
  agent?: Agent | false;
}

/** Sends one request with node:http and reads the whole response. */
export function send(port: number, options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: options.method ?? 'GET',
      path: options.path ?? '/',
      headers: options.headers as Record<string, string>,
      agent: options.agent ?? false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body,
          text,
          json: () => JSON.parse(text),
        });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** `POST /invoke` with FC's control-path header and the given body. */
export function invoke(port: number, body: string | Buffer = '', headers: Record<string, string> = {}): Promise<Reply> {
  return send(port, {
    method: 'POST',
    path: '/invoke',
    headers: { 'x-fc-control-path': '/invoke', 'content-type': 'application/octet-stream', ...headers },
    body,
  });
}

/**
 * Writes raw bytes on a TCP socket and resolves to everything the server sent until it closed the
 * connection, or until `idleMs` passed without new bytes (for a server that keeps it open).
 */
export function sendRaw(port: number, data: string | Buffer | (string | Buffer)[], idleMs = 300): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(finish, idleMs);
    };
    socket.on('connect', () => {
      for (const part of Array.isArray(data) ? data : [data]) socket.write(part);
      arm();
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      arm();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', (error) => (chunks.length ? finish() : reject(error)));
  });
}

/** A server running in a child process, with its stdout and stderr collected. */
export interface ChildServer {
  child: ChildProcess;
  port: number;
  url: string;
  /** Everything the child printed on stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves to the exit code (or the signal name) once the child exits. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs `fc-container serve <module>` (the CLI, from source through tsx) in a child process on a
 * free port and resolves once it listens. `args` are extra CLI flags; `env` adds variables.
 */
export async function spawnServer(module: string, args: string[] = [], env: Record<string, string> = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', module, '--port', '0', '--host', '127.0.0.1', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    out += chunk;
    for (const waiter of waiters.slice()) {
      if (waiter.pattern.test(out)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  child.stderr!.on('data', (chunk: string) => { err += chunk; });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  const waitForOutput = (pattern: RegExp, timeoutMs = 10_000): Promise<void> => {
    if (pattern.test(out)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} in:\n${out}\nstderr:\n${err}`)), timeoutMs);
      waiters.push({ pattern, resolve: () => { clearTimeout(timer); resolve(); } });
      void exited.then((code) => {
        clearTimeout(timer);
        if (!pattern.test(out)) reject(new Error(`child exited (${code}) before ${pattern}:\n${out}\nstderr:\n${err}`));
      });
    });
  };
  try {
    await waitForOutput(/listening on [\d.]+:(\d+)/);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const port = Number(/listening on [\d.]+:(\d+)/.exec(out)![1]);
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    stdout: () => out,
    stderr: () => err,
    waitForOutput,
    exited,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => { child.kill(signal); },
  };
}

/**
 * Runs the CLI to completion and resolves to its exit code and output. A CLI that starts
 * listening instead of exiting is killed, and its code is `'listening'`. An `env` value of
 * undefined removes the variable.
 */
export async function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null | 'listening'; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let listening = false;
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    if (!listening && /listening on /.test(stdout)) {
      listening = true;
      child.kill('SIGKILL');
    }
  });
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const [code] = await once(child, 'exit') as [number | null];
  return { code: listening ? 'listening' : code, stdout, stderr };
}

/** The FC common headers a real invocation carries. */
export function fcHeaders(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    'x-fc-request-id': 'req-0001',
    'x-fc-access-key-id': 'STS.keyid',
    'x-fc-access-key-secret': 'very-secret-key-value-123',
    'x-fc-security-token': 'security-token-value-ABCDEFGH',
    'x-fc-function-name': 'hello',
    'x-fc-function-handler': 'index.handler',
    'x-fc-function-memory': '512',
    'x-fc-function-timeout': '60',
    'x-fc-function-initializer': 'index.initializer',
    'x-fc-initialization-timeout': '30',
    'x-fc-region': 'cn-hangzhou',
    'x-fc-account-id': '1234567890123456',
    'x-fc-qualifier': 'LATEST',
    'x-fc-version-id': '0000',
    'x-fc-service-name': 'svc',
    'x-fc-service-logproject': 'logproj',
    'x-fc-service-logstore': 'logstore',
    'x-fc-tracing-opentracing-span-context': 'span-ctx',
    'x-fc-tracing-opentracing-span-baggages': 'baggage',
    'x-fc-tracing-jaeger-endpoint': 'http://jaeger',
    ...overrides,
  };
}
