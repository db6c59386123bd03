/**
 * The secrets the runtime knows when no request's context says which apply: an exception that
 * escaped every handler (shutdown.ts), a response that failed in the marker batch (output.ts).
 *
 * Nothing is tracked per request for it. When such a line is printed, the server's own list of
 * connections (Node's, the one `closeIdleConnections()` walks) is read once: on each connection,
 * the request being answered and the request being parsed give their credential headers.
 * Requests pipelined between those two are not reached (FC does not pipeline).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { readEnvironmentSecrets, SECRET_HEADER_NAMES } from '../rules/redact.js';

/** What this reads of an entry in Node's connection list (an HTTP parser, lib/_http_server.js). */
interface ConnectionEntry {
  socket?: { _httpMessage?: ServerResponse | null } | null;
  incoming?: IncomingMessage | null;
}

interface ConnectionList {
  all(): ConnectionEntry[];
}

/** Node's private `kConnections` slot on a server; undefined until looked up, null when absent. */
let kConnections: symbol | null | undefined;

function getConnectionList(server: Server): ConnectionList | undefined {
  if (kConnections === undefined) {
    kConnections = Object.getOwnPropertySymbols(server).find((symbol) => symbol.description === 'http.server.connections') ?? null;
  }
  if (kConnections === null) return undefined;
  const list = (server as unknown as Record<symbol, ConnectionList | undefined>)[kConnections];
  return typeof list?.all === 'function' ? list : undefined;
}

/** Adds the credential header values of `req` to `into`. */
function addRequestSecrets(req: IncomingMessage | null | undefined, into: string[]): void {
  if (!req) return;
  for (const name of SECRET_HEADER_NAMES) {
    const value = req.headers[name];
    if (typeof value === 'string' && value !== '' && !into.includes(value)) into.push(value);
  }
}

/**
 * The credentials (`x-fc-access-key-secret`, `x-fc-security-token`) of every request in flight on
 * `server`, read from Node's connection list at call time. Empty when this Node keeps no such
 * list where it is looked for.
 */
export function collectInFlightSecrets(server: Server): string[] {
  const secrets: string[] = [];
  let entries: ConnectionEntry[];
  try {
    entries = getConnectionList(server)?.all() ?? [];
  } catch {
    return secrets;
  }
  for (const entry of entries) {
    addRequestSecrets(entry.socket?._httpMessage?.req, secrets);
    addRequestSecrets(entry.incoming, secrets);
  }
  return secrets;
}

/** The credentials of the request `res` answers, and the environment's. */
export function collectResponseSecrets(res: ServerResponse): string[] {
  const secrets = readEnvironmentSecrets();
  addRequestSecrets(res.req, secrets);
  return secrets;
}
