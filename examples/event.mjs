// The bundled example: an event function, an Initializer and an HTTP function in one module.
// Run it with `npm start` (or `fc-container serve examples/event.mjs`).
let greeting = 'hello';

export async function initialize(context) {
  context.logger.info('initializing');
  greeting = 'hello from Function Compute';
  return 'initialized';
}

export async function invoke(event, context) {
  const input = event.length ? JSON.parse(event.toString('utf8')) : {};
  context.logger.info('event received', input);
  return { greeting, name: input.name ?? 'world', requestId: context.requestId };
}

export function http(req, res, context) {
  const url = new URL(req.url, 'http://localhost');
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ greeting, path: url.pathname, name: url.searchParams.get('name'), requestId: context.requestId }));
}

const port = process.env.FC_CUSTOM_LISTEN_PORT || process.env.FC_SERVER_PORT || 9000;
process.stdout.write(`Try:
  curl -s -XPOST localhost:${port}/initialize
  curl -s -XPOST localhost:${port}/invoke -d '{"name":"fc"}'
  curl -s 'localhost:${port}/api/hello?name=fc'
`);
