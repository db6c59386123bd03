/**
 * A server of ours in this process: `createServer()` on 127.0.0.1 and a free port. No mocks.
 */
import type { Server } from 'node:http';
import { once } from 'node:events';
import { createServer, type Handlers, type Options } from '../../lib/index.js';

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
