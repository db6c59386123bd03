// fc-container with default options (markers on): an Initializer, an event function echoing the
// event, and a Node-style HTTP function. Only the port and a loopback host are set (and
// asyncContext for the fc-container-async variant).
import { serve } from '../../dist/index.js';

const port = Number(process.env.PORT) || 9000;

await serve({
  initialize: () => undefined,
  invoke: (event) => event,
  http: (req, res) => {
    const url = req.url;
    if (req.method === 'GET' && url.startsWith('/api/hello')) {
      const q = url.indexOf('?');
      const name = q === -1 ? null : new URLSearchParams(url.slice(q + 1)).get('name');
      const body = JSON.stringify({ hello: name });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    res.writeHead(404, { 'content-length': 0 });
    res.end();
  },
}, { port, host: '127.0.0.1', asyncContext: process.env.BENCH_ASYNC_CONTEXT === '1' });

const name = process.env.BENCH_ASYNC_CONTEXT === '1' ? 'fc-container-async' : 'fc-container';
process.stdout.write(`ready ${name} ${port}\n`);
