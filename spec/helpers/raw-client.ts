/**
 * A raw-TCP HTTP client for wire-level specs: exact request bytes (no headers added), the first
 * final response parsed from what comes back, and a failure on a reset rather than a silent close.
 */
import { connect } from 'node:net';

export type HeaderList = [string, string][];

export interface RawReply {
  status: number;
  headers: HeaderList;
  body: string;
  raw: string;
  header(name: string): string | undefined;
  json(): any;
}

/** A request's bytes; header strings are written one byte per character (latin1). */
export function rawRequest(method: string, target: string, headers: HeaderList, body = ''): Buffer {
  let head = `${method} ${target} HTTP/1.1\r\n`;
  for (const [name, value] of headers) head += `${name}: ${value}\r\n`;
  return Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), Buffer.from(body, 'latin1')]);
}

/** The first final response in `buf`, or undefined while it is incomplete. */
export function parseReply(buf: Buffer, closed: boolean): RawReply | undefined {
  const text = buf.toString('latin1');
  let offset = 0;
  for (;;) {
    const end = text.indexOf('\r\n\r\n', offset);
    if (end === -1) return undefined;
    const lines = text.slice(offset, end).split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    if (status >= 100 && status < 200) {
      offset = end + 4;
      continue;
    }
    const headers: HeaderList = lines.slice(1).map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon), line.slice(colon + 1).trim()];
    });
    const find = (name: string): string | undefined => headers.find(([n]) => n.toLowerCase() === name)?.[1];
    const rest = text.slice(end + 4);
    let body: string;
    const length = find('content-length');
    if (length !== undefined) {
      if (rest.length < Number(length)) return undefined;
      body = rest.slice(0, Number(length));
    } else if (find('transfer-encoding')?.toLowerCase() === 'chunked') {
      body = '';
      let at = 0;
      for (;;) {
        const lineEnd = rest.indexOf('\r\n', at);
        if (lineEnd === -1) return undefined;
        const size = parseInt(rest.slice(at, lineEnd), 16);
        if (size === 0) break;
        if (rest.length < lineEnd + 2 + size + 2) return undefined;
        body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
        at = lineEnd + 2 + size + 2;
      }
    } else {
      if (!closed) return undefined;
      body = rest;
    }
    const utf8 = Buffer.from(body, 'latin1').toString('utf8');
    return { status, headers, body: utf8, raw: text, header: find, json: () => JSON.parse(utf8) };
  }
}

/** Sends raw bytes and resolves to the first complete final response; rejects on a reset before it. */
export function exchange(port: number, data: Buffer | string, timeoutMs = 10_000): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (error: Error | null, reply?: RawReply): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply!);
    };
    const timer = setTimeout(() => finish(new Error(`no complete response in ${timeoutMs} ms:\n${buf.toString('latin1')}`)), timeoutMs);
    socket.on('connect', () => socket.write(data));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const reply = parseReply(buf, false);
      if (reply) finish(null, reply);
    });
    const onEnd = (): void => {
      const reply = parseReply(buf, true);
      finish(reply ? null : new Error(`connection closed before a complete response:\n${buf.toString('latin1')}`), reply);
    };
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', (error) => {
      const reply = parseReply(buf, true);
      finish(reply ? null : error, reply);
    });
  });
}

export interface RawUploadResult {
  reply: RawReply | undefined;
  /** A socket error (EPIPE, ECONNRESET) seen by the client, if any. */
  error: Error | undefined;
  sent: number;
}

/**
 * Uploads `total` bytes (content-length or chunked) as fast as the socket takes them, reading
 * what comes back meanwhile: resolves to the response, and any socket error the client saw.
 */
export function rawUpload(port: number, options: { path: string; headers: HeaderList; total: number; chunked: boolean }): Promise<RawUploadResult> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let sent = 0;
    let uploaded = false;
    let settled = false;
    const finish = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ reply: parseReply(buf, true), error, sent });
    };
    const timer = setTimeout(() => finish(new Error('timed out')), 20_000);
    const block = Buffer.alloc(64 * 1024, 0x61);
    const framed = options.chunked ? Buffer.concat([Buffer.from(`${block.length.toString(16)}\r\n`), block, Buffer.from('\r\n')]) : block;
    const pump = (): void => {
      while (sent < options.total) {
        sent += block.length;
        if (!socket.write(framed)) {
          socket.once('drain', pump);
          return;
        }
      }
      if (options.chunked) socket.write('0\r\n\r\n');
      uploaded = true;
      if (parseReply(buf, false)) finish(undefined);
    };
    socket.on('connect', () => {
      const framing: HeaderList = options.chunked ? [['Transfer-Encoding', 'chunked']] : [['Content-Length', String(options.total)]];
      socket.write(rawRequest('POST', options.path, [...options.headers, ...framing]));
      pump();
    });
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (uploaded && parseReply(buf, false)) finish(undefined);
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(uploaded ? undefined : new Error(`the server closed the connection after ${sent} of ${options.total} bytes`)));
  });
}

// Every response on a connection, in order (for pipelining and malformed-request specs).

/** One response read whole, its body as bytes. */
export interface RawResponse {
  status: number;
  headers: [string, string][];
  body: Buffer;
  text: string;
  header(name: string): string | undefined;
  json(): any;
}

export interface Exchange {
  /** The complete responses, in the order they came. */
  replies: RawResponse[];
  /** How the exchange ended: the server closed (`end`), reset, or went quiet (`idle`). */
  ending: 'end' | 'reset' | 'idle' | 'timeout';
  /** Bytes after the last complete response (a response cut short). */
  trailing: number;
  raw: string;
  /** Why the bytes could not be read as HTTP responses, if they could not (the replies are then empty). */
  parseError: string | undefined;
}

/**
 * Parses as many complete responses as `buf` holds (1xx skipped); `closed`: nothing more will
 * come, so a body without a length runs to the end. Strict, as a fuzz oracle must be: throws when
 * the bytes are not HTTP/1.1 responses (a bad status line, header line or chunk size).
 */
export function parseReplies(buf: Buffer, closed: boolean): { replies: RawResponse[]; consumed: number } {
  const replies: RawResponse[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const end = buf.indexOf('\r\n\r\n', offset, 'latin1');
    if (end === -1) {
      if (!/^HTTP\/1\.1 \d{0,3}/.test(buf.subarray(offset, offset + 12).toString('latin1')) && !'HTTP/1.1 '.startsWith(buf.subarray(offset, offset + 9).toString('latin1'))) {
        throw new Error(`not an HTTP response: ${JSON.stringify(buf.subarray(offset, offset + 80).toString('latin1'))}`);
      }
      break;
    }
    const lines = buf.subarray(offset, end).toString('latin1').split('\r\n');
    const statusLine = /^HTTP\/1\.1 (\d{3}) [^\r\n]*$/.exec(lines[0]!);
    if (!statusLine) throw new Error(`not an HTTP status line: ${JSON.stringify(lines[0])}`);
    const status = Number(statusLine[1]);
    const headers = lines.slice(1).map((line): [string, string] => {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`not a header line: ${JSON.stringify(line)}`);
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    });
    const find = (name: string): string | undefined => headers.find(([n]) => n === name)?.[1];
    let at = end + 4;
    if (status >= 100 && status < 200) {
      offset = at;
      continue;
    }
    let body: Buffer | undefined;
    const length = find('content-length');
    if (find('transfer-encoding')?.toLowerCase() === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', at, 'latin1');
        if (lineEnd === -1) break;
        const size = parseInt(buf.subarray(at, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size)) throw new Error('bad chunk size in a response');
        if (size === 0) {
          const trailerEnd = buf.indexOf('\r\n\r\n', lineEnd - 2, 'latin1');
          if (trailerEnd === -1) break;
          at = trailerEnd + 4;
          body = Buffer.concat(parts);
          break;
        }
        if (buf.length < lineEnd + 2 + size + 2) break;
        parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
    } else if (length !== undefined) {
      if (buf.length >= at + Number(length)) {
        body = buf.subarray(at, at + Number(length));
        at += Number(length);
      }
    } else if (status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (closed) {
      body = buf.subarray(at);
      at = buf.length;
    }
    if (body === undefined) break;
    const text = body.toString('utf8');
    replies.push({ status, headers, body, text, header: find, json: () => JSON.parse(text) });
    offset = at;
  }
  return { replies, consumed: offset };
}

export interface ExchangeOptions {
  /** Shut down the sending side after the last write (the server reads EOF). */
  halfClose?: boolean;
  /** Destroy the socket this long after the last write (a client that gives up). */
  destroyAfterMs?: number;
  /** Give up when nothing arrives for this long. */
  idleMs?: number;
  timeoutMs?: number;
}

/** Sends `data` (parts written one after another) and collects every response that comes back. */
export function exchangeAll(port: number, data: string | Buffer | (string | Buffer)[], options: ExchangeOptions = {}): Promise<Exchange> {
  const { halfClose = false, destroyAfterMs, idleMs = 400, timeoutMs = 10_000 } = options;
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    let idle: NodeJS.Timeout | undefined;
    const finish = (ending: Exchange['ending']): void => {
      if (done) return;
      done = true;
      clearTimeout(idle);
      clearTimeout(overall);
      socket.destroy();
      const buf = Buffer.concat(chunks);
      const raw = buf.toString('latin1');
      try {
        const { replies, consumed } = parseReplies(buf, ending !== 'idle' && ending !== 'timeout');
        resolve({ replies, ending, trailing: buf.length - consumed, raw, parseError: undefined });
      } catch (error) {
        resolve({ replies: [], ending, trailing: buf.length, raw, parseError: `${(error as Error).message} in ${JSON.stringify(raw.slice(0, 300))}` });
      }
    };
    const overall = setTimeout(() => finish('timeout'), timeoutMs);
    const arm = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => finish('idle'), idleMs);
    };
    socket.on('connect', () => {
      const parts = Array.isArray(data) ? data : [data];
      for (const part of parts) socket.write(typeof part === 'string' ? Buffer.from(part, 'latin1') : part);
      if (halfClose) socket.end();
      if (destroyAfterMs !== undefined) setTimeout(() => finish('idle'), destroyAfterMs);
      arm();
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      arm();
    });
    socket.on('end', () => finish('end'));
    socket.on('close', () => finish('end'));
    socket.on('error', () => finish('reset'));
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
