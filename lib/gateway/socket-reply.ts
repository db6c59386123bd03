/**
 * An answer written straight onto a socket: after an HTTP upgrade there is no `ServerResponse`,
 * so the gateway's refusals of a handshake, and an Initializer's failure, go out as raw HTTP
 * and the connection is closed.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ReplyTarget } from './call.js';

export class SocketReply implements ReplyTarget {
  readonly #socket: Duplex;
  #head = '';
  headersSent = false;

  constructor(socket: Duplex) {
    this.#socket = socket;
  }

  get destroyed(): boolean {
    return this.#socket.destroyed;
  }

  writeHead(status: number, headers: OutgoingHttpHeaders | string[]): this {
    this.headersSent = true;
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
    if (Array.isArray(headers)) {
      for (let i = 0; i + 1 < headers.length; i += 2) if (headers[i]!.toLowerCase() !== 'connection') head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    } else {
      for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() !== 'connection') head += `${name}: ${String(value)}\r\n`;
    }
    this.#head = `${head}connection: close\r\n\r\n`;
    return this;
  }

  end(body?: Buffer | string): this {
    const socket = this.#socket;
    if (!socket.writable) {
      socket.destroy();
      return this;
    }
    socket.write(this.#head);
    socket.end(body ?? '');
    // Node hands an upgraded socket over paused: read (and drop) what comes, to see the end.
    socket.on('end', () => socket.destroy());
    socket.resume();
    return this;
  }

  destroy(): this {
    this.#socket.destroy();
    return this;
  }

  /** A JSON answer with its status and the request id. */
  sendJson(status: number, json: string, requestId: string): void {
    this.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(json)), 'x-fc-request-id': requestId });
    this.end(json);
  }
}
