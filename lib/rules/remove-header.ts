/**
 * Removing a header the platform owns without losing what Node writes in its place.
 *
 * Node quirk: `removeHeader()` (lib/_http_outgoing.js) also switches off Node's own header of
 * that name: `date` sets `sendDate = false` (no `Date` at all), `connection` sets
 * `_removedConnection` (no `Connection`, so the `connection: close` of a response during the
 * SIGTERM drain is not sent and the client is not told the connection ends), and
 * `transfer-encoding` sets `_removedTE` (a streamed body without a length goes out unframed, ended
 * by closing the connection). A header the runtime strips is one the function may not set, so
 * the response goes out as if it had never been set: Node's own value stays.
 */
import type { ServerResponse } from 'node:http';

/** Node's flags for a removed `Connection` / `Transfer-Encoding`; plain fields since Node 0.x. */
type OutgoingFlags = ServerResponse & { _removedConnection: boolean; _removedTE: boolean };

/** Removes the header `name` (lower case) from `res`, keeping Node's own `Date`, `Connection` and framing. */
export function removePlatformHeader(res: ServerResponse, name: string): void {
  const sendDate = res.sendDate;
  res.removeHeader(name);
  switch (name) {
    case 'date':
      res.sendDate = sendDate;
      break;
    case 'connection':
      (res as OutgoingFlags)._removedConnection = false;
      break;
    case 'transfer-encoding':
      (res as OutgoingFlags)._removedTE = false;
      break;
  }
}

/** Removes every header set on `res` (the runtime answering in its place), Node's own kept. */
export function clearResponseHeaders(res: ServerResponse): void {
  for (const name of res.getHeaderNames()) removePlatformHeader(res, name);
}
