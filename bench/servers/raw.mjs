// raw: bare node:http, the absolute limit. No markers, no limits, no request ids.
import { createServer } from 'node:http';

const port = Number(process.env.PORT) || 9000;

const server = createServer((req, res) => {
  const url = req.url;
  if (req.method === 'POST' && url === '/invoke') {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      chunks.push(chunk);
      size += chunk.length;
    });
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length, 'x-fc-status': '200' });
      res.end(body);
    });
    return;
  }
  if (req.method === 'POST' && url === '/initialize') {
    req.resume();
    res.writeHead(200, { 'content-length': 0, 'x-fc-status': '200' });
    res.end();
    return;
  }
  if (req.method === 'GET' && url.startsWith('/api/hello')) {
    const q = url.indexOf('?');
    const name = q === -1 ? null : new URLSearchParams(url.slice(q + 1)).get('name');
    const body = JSON.stringify({ hello: name });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  req.resume();
  res.writeHead(404, { 'content-length': 0 });
  res.end();
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready raw ${port}\n`);
});
