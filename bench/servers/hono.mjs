// The Hono app (hono-app.mjs) on @hono/node-server, as Hono users serve it today. No FC work.
import { serve } from '@hono/node-server';
import { app } from './hono-app.mjs';

const port = Number(process.env.PORT) || 9000;

serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => {
  process.stdout.write(`ready hono ${port}\n`);
});
