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
