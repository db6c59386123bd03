// The hono variant's app, unchanged, on fc-container's fetch handler: serve({ fetch: app.fetch })
// with default options (markers on, FC's limits and header rules).
import { serve } from '../../dist/index.js';
import { app } from './hono-app.mjs';

const port = Number(process.env.PORT) || 9000;

await serve({ fetch: app.fetch }, { port, host: '127.0.0.1' });

process.stdout.write(`ready hono-fc-container ${port}\n`);
