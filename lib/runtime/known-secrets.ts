/**
 * The secrets the runtime knows when no request's context says which apply: an exception that
 * escaped every handler (shutdown.ts), a response that failed in the marker batch (output.ts).
 *
 * Nothing is tracked per request for it. When such a line is printed, the server's open
 * connections (connections.ts) are read once: on each, the request being answered and the request
 * being parsed give their credential headers. Requests pipelined between those two are not
 * reached (FC does not pipeline).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { readEnvironmentSecrets, SECRET_HEADER_NAMES } from '../rules/redact.js';
import { listConnections } from './connections.js';

/** Node's own fields on a server's socket: the response it is serving, and its parser's request in progress. */
interface ServedSocket {
  _httpMessage?: ServerResponse | null;
  parser?: { incoming?: IncomingMessage | null } | null;
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
 * `server`, read from its open connections at call time.
 */
export function collectInFlightSecrets(server: Server): string[] {
  const secrets: string[] = [];
  for (const socket of listConnections(server) as Iterable<ServedSocket>) {
    addRequestSecrets(socket._httpMessage?.req, secrets);
    addRequestSecrets(socket.parser?.incoming, secrets);
  }
  return secrets;
}

/** The credentials of the request `res` answers, and the environment's. */
export function collectResponseSecrets(res: ServerResponse): string[] {
  const secrets = readEnvironmentSecrets();
  addRequestSecrets(res.req, secrets);
  return secrets;
}
