// ws-raw: bare node:http handing each upgrade to a `ws` server by hand (noServer mode), the
// websocket section's floor. The workload, the same in ws-fc-container: every connection echoes
// the one message it gets, and the client closes. No FC work.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.env.PORT) || 9000;
const wss = new WebSocketServer({ noServer: true });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

const server = createServer((req, res) => {
  req.resume();
  res.writeHead(404, { 'content-length': 0 });
  res.end();
});
server.on('upgrade', (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ws-raw ${port}\n`);
});
