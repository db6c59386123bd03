// hono on @hono/node-server, idiomatic: c.req.arrayBuffer() for the event, c.json() for the GET.
// No FC work.
import { Hono } from 'hono';
import { serve } from '@hono/node-server';

const port = Number(process.env.PORT) || 9000;
const app = new Hono();

app.post('/initialize', (c) => c.body(null, 200, { 'x-fc-status': '200' }));

app.post('/invoke', async (c) => {
  const body = await c.req.arrayBuffer();
  return c.body(body, 200, { 'content-type': 'application/octet-stream', 'x-fc-status': '200' });
});

app.get('/api/hello', (c) => c.json({ hello: c.req.query('name') }));

serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => {
  process.stdout.write(`ready hono ${port}\n`);
});
