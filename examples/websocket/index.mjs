// A `ws` WebSocket service as an HTTP function, Node style. `fc-container serve index.mjs` (the
// image's CMD) hands every WebSocket handshake to the `upgrade` export, after FC's request rules
// (header and path limits, the base path stripped), as one invocation: its Start marker at the
// handshake, its End marker when the socket closes. Each message comes back as it was sent. At the
// function timeout the runtime destroys the socket; at shutdown it closes each one with 1001.
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ noServer: true });

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

// Node's 'upgrade' arguments, and the invocation's context (requestId, signal, logger, ...).
export function upgrade(req, socket, head, context) {
  context.logger.info(`WebSocket ${req.url}`);
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
}

// Plain HTTP requests on the same trigger.
export function http(req, res) {
  if (req.method === 'GET' && req.url === '/') {
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end('A WebSocket echo service: connect with a WebSocket client to this URL.\n');
    return;
  }
  res.statusCode = 404;
  res.end('Not Found\n');
}
