// An event function with FC's two instance lifecycle hooks, as an ES module. FC calls
// `initialize` once per instance before the first event (POST /initialize), `invoke` for each
// event (POST /invoke, the event's bytes as a Buffer), and `preStop` before it stops the instance
// (GET /pre-stop). Each hook must be configured in s.yaml's instanceLifecycleConfig to be called.
let connection;

export async function initialize(context) {
  // Work that should run once per instance, not per event: a client, a connection pool, a cache.
  connection = { openedFor: context.requestId, opened: new Date().toISOString() };
  context.logger.info('instance initialized');
}

export async function invoke(event, context) {
  const input = event.length > 0 ? JSON.parse(event.toString('utf8')) : {};
  context.logger.info('event received', input);
  return { hello: input.name ?? 'world', initializedBy: connection?.openedFor, requestId: context.requestId };
}

export async function preStop(context) {
  // Flush what must not be lost before FC stops the instance.
  context.logger.info('instance stopping', { initializedBy: connection?.openedFor });
  connection = undefined;
}
