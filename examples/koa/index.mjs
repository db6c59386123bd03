// A Koa app as an HTTP function: `app.callback()` is a Node request listener, which is what the
// `http` handler is. The runtime answers what FC's rules say before Koa sees a request (limits,
// forbidden headers) and prints FC's markers around each one.
import Koa from 'koa';

const app = new Koa();

app.use(async (ctx) => {
  if (ctx.method === 'GET' && ctx.path === '/api/hello') {
    ctx.body = { hello: ctx.query.name ?? 'world' };
    return;
  }
  if (ctx.method === 'POST' && ctx.path === '/api/echo') {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    ctx.type = ctx.get('content-type') || 'application/octet-stream';
    ctx.body = Buffer.concat(chunks);
    return;
  }
  ctx.status = 404;
  ctx.body = { error: `no route for ${ctx.method} ${ctx.path}` };
});

export const http = app.callback();
