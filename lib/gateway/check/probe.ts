/**
 * The requests the conformance check sends: each on a keep-alive connection of its own agent, as
 * FC's gateway holds them, with the headers the gateway sends (fc-headers.ts) and a request id of
 * its own, the whole answer read.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { buildFcHeaders } from '../fc-headers.js';
import type { ResolvedGatewayOptions } from '../options.js';

/** One answer, with the raw header pairs (to count them as FC does) and the socket it came on. */
export interface ProbeReply {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  requestId: string;
  socket: Socket;
  reused: boolean;
}

/**
 * Sends one request on `agent` (to `base`, an origin), with the headers the gateway sends for
 * these options, and reads the answer; rejects after `timeoutMs`.
 */
export function probe(agent: Agent, base: URL, o: ResolvedGatewayOptions, method: string, path: string, controlPath: string, body: Buffer | undefined, timeoutMs: number): Promise<ProbeReply> {
  const requestId = randomUUID();
  const headers = buildFcHeaders({ options: o }, requestId, controlPath);
  if (body !== undefined) headers['content-type'] = 'application/octet-stream';
  return new Promise<ProbeReply>((resolve, reject) => {
    const req = httpRequest({ host: base.hostname, port: base.port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), requestId, socket: req.socket!, reused: req.reusedSocket });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(body);
  });
}

/**
 * A connection of its own for the keep-alive check, read by hand: Node's Agent drops a socket
 * whose server hints a short `Keep-Alive: timeout`, which would hide what the server does.
 * `send()` writes one request and resolves with the status once the whole answer (by
 * `content-length`, or chunked to its last chunk) has arrived; `ended` tells whether the server
 * closed its side.
 */
export class RawConnection {
  readonly socket: Socket;
  ended = false;
  #buffer = '';
  #waiting: ((status: number) => void) | undefined;
  #failed: ((error: Error) => void) | undefined;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      this.#settle();
    });
    socket.on('end', () => {
      this.ended = true;
      this.#failed?.(new Error('the server closed the connection'));
    });
    socket.on('error', (error) => this.#failed?.(error));
  }

  /** Writes `request`; resolves with the answer's status, rejects after `timeoutMs`. */
  send(request: string, timeoutMs: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined;
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting = (status) => { clearTimeout(timer); resolve(status); };
      this.#failed = (error) => { clearTimeout(timer); reject(error); };
      this.socket.write(request);
    });
  }

  #settle(): void {
    const head = this.#buffer.indexOf('\r\n\r\n');
    if (head === -1 || this.#waiting === undefined) return;
    const headers = this.#buffer.slice(0, head).toLowerCase();
    const length = /\r\ncontent-length:\s*(\d+)/.exec(headers);
    let end: number;
    if (length) end = head + 4 + Number(length[1]);
    else if (/\r\ntransfer-encoding:[^\r]*chunked/.test(headers)) {
      const last = this.#buffer.indexOf('\r\n0\r\n\r\n', head);
      end = last === -1 ? Infinity : last + 7;
    } else end = head + 4;
    if (this.#buffer.length < end) return;
    const status = Number(this.#buffer.slice(9, 12));
    this.#buffer = this.#buffer.slice(end);
    const done = this.#waiting;
    this.#waiting = undefined;
    this.#failed = undefined;
    done(status);
  }
}

/** An invocation as raw bytes, FC's headers included. */
export function rawInvoke(host: string, o: ResolvedGatewayOptions): { text: string; requestId: string } {
  const requestId = randomUUID();
  const headers = buildFcHeaders({ options: o }, requestId, '/invoke');
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return { text: `POST /invoke HTTP/1.1\r\nhost: ${host}\r\n${lines.join('\r\n')}\r\ncontent-length: 2\r\n\r\n{}`, requestId };
}
