// fc-container with a Fetch-style HTTP function (Request -> Response) and the same Initializer
// and event function; default options (markers on).
import { serve } from '../../dist/index.js';

const port = Number(process.env.PORT) || 9000;

await serve({
  initialize: () => undefined,
  invoke: (event) => event,
  fetch: (request) => {
    const url = new URL(request.url);
    if (request.method === 'GET' && url.pathname === '/api/hello') {
      return Response.json({ hello: url.searchParams.get('name') });
    }
    return new Response(null, { status: 404 });
  },
}, { port, host: '127.0.0.1' });

process.stdout.write(`ready fc-container-fetch ${port}\n`);
