// fastify@5, idiomatic: a buffer parser for application/octet-stream, a response schema for the
// GET (fast-json-stringify), logger off (the default). No FC work.
import Fastify from 'fastify';

const port = Number(process.env.PORT) || 9000;
const app = Fastify({ bodyLimit: 6 * 1024 * 1024 });

app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (req, body, done) => {
  done(null, body);
});

app.post('/initialize', async (request, reply) => {
  reply.header('x-fc-status', '200').code(200).send();
});

app.post('/invoke', async (request, reply) => {
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  return reply.header('x-fc-status', '200').type('application/octet-stream').send(body);
});

app.get('/api/hello', {
  schema: {
    querystring: { type: 'object', properties: { name: { type: 'string' } } },
    response: { 200: { type: 'object', properties: { hello: { type: 'string' } } } },
  },
}, async (request) => ({ hello: request.query.name }));

await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`ready fastify ${port}\n`);
