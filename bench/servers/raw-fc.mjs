// raw-fc: bare node:http doing FC's work by hand, as a careful user would write it without a
// library: the per-request log markers on stdout (one write each), the 6 MiB body limit (a
// declared content-length over it is refused at once, a streamed body is counted), x-fc-status,
// and the request id from x-fc-request-id, else a counter.
import { createServer } from 'node:http';

const port = Number(process.env.PORT) || 9000;
const BODY_LIMIT = 6 * 1024 * 1024;
let counter = 0;

function requestId(req) {
  return req.headers['x-fc-request-id'] || String(++counter);
}

function refuse(res, id, kind, message) {
  const body = JSON.stringify({ ErrorCode: 'InvalidArgument', ErrorMessage: message });
  process.stdout.write(`FC ${kind} End RequestId: ${id}\n`);
  res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function onInvoke(req, res, id) {
  const declared = Number(req.headers['content-length'] ?? -1);
  if (declared > BODY_LIMIT) {
    refuse(res, id, 'Invoke', `Request body is ${declared} bytes; the limit is ${BODY_LIMIT} bytes`);
    req.resume(); // drain what the client still sends, so it reads the 400 rather than a reset
    return;
  }
  const chunks = [];
  let size = 0;
  let refused = false;
  req.on('data', (chunk) => {
    if (refused) return;
    size += chunk.length;
    if (size > BODY_LIMIT) {
      refused = true;
      chunks.length = 0;
      refuse(res, id, 'Invoke', `Request body exceeds the limit of ${BODY_LIMIT} bytes`);
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (refused) return;
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
    process.stdout.write(`FC Invoke End RequestId: ${id}\n`);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length, 'x-fc-status': '200' });
    res.end(body);
  });
}

const server = createServer((req, res) => {
  const url = req.url;
  const id = requestId(req);
  if (req.method === 'POST' && url === '/invoke') {
    process.stdout.write(`FC Invoke Start RequestId: ${id}\n`);
    onInvoke(req, res, id);
    return;
  }
  if (req.method === 'POST' && url === '/initialize') {
    process.stdout.write(`FC Initialize Start RequestId: ${id}\n`);
    req.resume();
    process.stdout.write(`FC Initialize End RequestId: ${id}\n`);
    res.writeHead(200, { 'content-length': 0, 'x-fc-status': '200' });
    res.end();
    return;
  }
  process.stdout.write(`FC Invoke Start RequestId: ${id}\n`);
  if (req.method === 'GET' && url.startsWith('/api/hello')) {
    const q = url.indexOf('?');
    const name = q === -1 ? null : new URLSearchParams(url.slice(q + 1)).get('name');
    const body = JSON.stringify({ hello: name });
    process.stdout.write(`FC Invoke End RequestId: ${id}\n`);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  req.resume();
  process.stdout.write(`FC Invoke End RequestId: ${id}\n`);
  res.writeHead(404, { 'content-length': 0 });
  res.end();
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready raw-fc ${port}\n`);
});
