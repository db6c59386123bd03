// fc-container with a Fetch-style HTTP function (Request -> Response) serving everything: the
// Initializer call, the event and the GET all reach the fetch handler (no `initialize` or
// `invoke` handler), so every row measures the Fetch adapter. Default options (markers on).
import { serve } from '../../dist/index.js';

const port = Number(process.env.PORT) || 9000;
const EVENT_HEADERS = { 'content-type': 'application/octet-stream', 'x-fc-status': '200' };

await serve({
  fetch: (request) => {
    const url = new URL(request.url);
    if (request.method === 'GET' && url.pathname === '/api/hello') {
      return Response.json({ hello: url.searchParams.get('name') });
    }
    if (request.method === 'POST' && url.pathname === '/invoke') {
      return request.arrayBuffer().then((event) => new Response(event, { headers: EVENT_HEADERS }));
    }
    if (request.method === 'POST' && url.pathname === '/initialize') {
      return new Response(null, { headers: { 'x-fc-status': '200' } });
    }
    return new Response(null, { status: 404 });
  },
}, { port, host: '127.0.0.1' });

process.stdout.write(`ready fc-container-fetch ${port}\n`);
