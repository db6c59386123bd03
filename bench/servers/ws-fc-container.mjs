// ws-fc-container: ws-raw's app behind fc-container's serve({ upgrade }), default options
// (markers on: a Start and an End line per connection). The runtime runs FC's rules on each
// handshake (limits, hidden headers, the connection's context) before handing it over.
import { WebSocketServer } from 'ws';
import { serve } from '../../dist/index.js';

const port = Number(process.env.PORT) || 9000;
const wss = new WebSocketServer({ noServer: true });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

await serve({
  upgrade: (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  },
}, { port, host: '127.0.0.1' });

process.stdout.write(`ready ws-fc-container ${port}\n`);
