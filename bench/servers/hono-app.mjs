// The Hono app of the hono and hono-fc-container variants, idiomatic: c.req.arrayBuffer() for the
// event, c.json() for the GET.
import { Hono } from 'hono';

export const app = new Hono();

app.post('/initialize', (c) => c.body(null, 200, { 'x-fc-status': '200' }));

app.post('/invoke', async (c) => {
  const body = await c.req.arrayBuffer();
  return c.body(body, 200, { 'content-type': 'application/octet-stream', 'x-fc-status': '200' });
});

app.get('/api/hello', (c) => c.json({ hello: c.req.query('name') }));
