/** A `ws` client for the WebSocket specs: open, and one question's answer. */
import { once } from 'node:events';
import { WebSocket } from 'ws';

/** Opens a WebSocket and resolves once it is open. */
export async function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers });
  await once(ws, 'open');
  return ws;
}

/** Sends a message and resolves to the next one received. */
export async function ask(ws: WebSocket, message: string): Promise<string> {
  const reply = once(ws, 'message');
  ws.send(message);
  return String((await reply)[0]);
}
