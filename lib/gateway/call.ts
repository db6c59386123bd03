/**
 * A caller's request as the gateway forwards it, read once off the `IncomingMessage`, so an
 * asynchronous event can be run later, and again, after its caller got its 202; and where an
 * invocation's answer goes: the caller's response, or for an asynchronous attempt a record of it.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { headerValue } from './exchange.js';
import type { HttpRoute, InvokeRoute } from './routes.js';

/** One request to forward. */
export interface Call {
  readonly requestId: string;
  readonly route: InvokeRoute | HttpRoute;
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: readonly string[];
  readonly clientIp: string;
  readonly body: Buffer;
  /** The caller asked for the log tail (`x-fc-log-type: Tail`). */
  readonly tailAsked: boolean;
  /** `x-fc-retry-count`: 0 for a synchronous call and an event's first attempt. */
  retryCount: number;
  /** An asynchronous event's attempt, for its summary line. */
  attempt?: { number: number; of: number; taskId: string | undefined };
}

function readClientIp(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** The call for a request whose body has been read. */
export function describeCall(req: IncomingMessage, requestId: string, route: InvokeRoute | HttpRoute, body: Buffer): Call {
  return {
    requestId,
    route,
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    rawHeaders: req.rawHeaders,
    clientIp: readClientIp(req),
    body,
    tailAsked: headerValue(req.headers['x-fc-log-type'])?.trim().toLowerCase() === 'tail',
    retryCount: 0,
  };
}

/** Where an answer is written: what the gateway's replies use of a `ServerResponse`. */
export interface ReplyTarget {
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  writeHead(status: number, headers: OutgoingHttpHeaders | string[]): unknown;
  end(body?: Buffer | string): unknown;
  destroy(): unknown;
}

/** An answer nobody reads but the gateway: an asynchronous attempt's, kept to judge its outcome. */
export class RecordedReply implements ReplyTarget {
  status = 0;
  headers: Record<string, string> = {};
  headersSent = false;
  destroyed = false;

  writeHead(status: number, headers: OutgoingHttpHeaders | string[]): this {
    this.status = status;
    this.headersSent = true;
    if (Array.isArray(headers)) {
      for (let i = 0; i + 1 < headers.length; i += 2) this.headers[headers[i]!.toLowerCase()] = headers[i + 1]!;
    } else {
      for (const [name, value] of Object.entries(headers)) this.headers[name.toLowerCase()] = String(value);
    }
    return this;
  }

  end(): this {
    return this;
  }

  destroy(): this {
    this.destroyed = true;
    return this;
  }
}
