// A Hono app with WebSocket routes (@hono/node-ws) as an HTTP function, Web style. The module
// serves itself: `serve({ fetch: app.fetch })` starts fc-container's server and returns it, and
// `injectWebSocket` adds @hono/node-ws's 'upgrade' listener to it. Started by the image's CMD
// (`fc-container serve index.mjs --health-path /healthz`), the command line's options (port,
// host, health path, ...) are the defaults of that serve() call; `node index.mjs` works too.
// Every handshake passes FC's request rules first and is one invocation: its Start marker at the
// handshake, its End marker when the socket closes. At the function timeout the runtime destroys
// the socket; at shutdown it closes each one with 1001.
import { Hono } from 'hono';
import { createNodeWebSocket } from '@hono/node-ws';
import { serve } from 'fc-container';

const app = new Hono();
const { injectWebSocket, upgradeWebSocket } = createNodeWebSocket({ app });

app.get('/', (c) => c.text('A Hono WebSocket echo service: connect a WebSocket client to /ws.\n'));

// Each message comes back as it was sent (text as text, binary as binary).
app.get('/ws', upgradeWebSocket(() => ({
  onMessage(event, ws) {
    ws.send(event.data);
  },
})));

injectWebSocket(await serve({ fetch: app.fetch }));
