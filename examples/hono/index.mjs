// A Hono app as a Fetch-style HTTP function: `app.fetch` takes a Request and returns a Response.
// The runtime hands it a light Request and installs a light Response, so `c.json()` and
// `c.req.json()` cost no more than on Hono's own Node adapter, with FC's rules on.
import { Hono } from 'hono';

const app = new Hono();

app.get('/api/hello', (c) => c.json({ hello: c.req.query('name') ?? 'world' }));

app.post('/api/orders', async (c) => {
  const order = await c.req.json();
  // The runtime's context is the fetch handler's second argument: Hono's `c.env`.
  return c.json({ created: order, requestId: c.env.requestId }, 201);
});

app.get('/api/events', (c) => {
  // Server-sent events stream out event by event (the runtime does not buffer a stream).
  const encoder = new TextEncoder();
  const stream = new ReadableStream({
    start(controller) {
      for (let i = 1; i <= 3; i++) controller.enqueue(encoder.encode(`data: ${i}\n\n`));
      controller.close();
    },
  });
  return new Response(stream, { headers: { 'content-type': 'text/event-stream' } });
});

export default { fetch: app.fetch };
