/** FC's common `x-fc-*` headers on every request the gateway sends to the instance. */
import type { GatewayState } from './state.js';

/** FC's common headers for one request to the instance. */
export function buildFcHeaders(gw: GatewayState, requestId: string, controlPath: string, extra: { serviceName?: string; qualifier?: string; basePath?: string; clientIp?: string; retryCount?: number } = {}): Record<string, string> {
  const o = gw.options;
  const headers: Record<string, string> = {
    'x-fc-request-id': requestId,
    'x-fc-control-path': controlPath,
    'x-fc-function-name': o.functionName,
    'x-fc-function-handler': o.handler,
    'x-fc-function-memory': String(o.memory),
    'x-fc-function-timeout': String(o.timeout),
    'x-fc-region': o.region,
    'x-fc-account-id': o.accountId,
    'x-fc-qualifier': extra.qualifier ?? o.qualifier,
    // An asynchronous event's attempt: 0 first, then 1, 2, ... (context.retryCount in fc-container).
    'x-fc-retry-count': String(extra.retryCount ?? 0),
  };
  if (o.initializer) {
    headers['x-fc-function-initializer'] = o.initializerHandler;
    headers['x-fc-initialization-timeout'] = String(o.initializationTimeout);
  }
  if (o.preStop) headers['x-fc-instance-lifecycle-pre-stop-handler'] = o.preStopHandler;
  if (extra.serviceName) headers['x-fc-service-name'] = extra.serviceName;
  if (extra.basePath) headers['x-fc-base-path'] = extra.basePath;
  if (extra.clientIp) headers['x-fc-client-ip'] = extra.clientIp;
  const env = { ...process.env, ...o.env };
  if (env.ALIBABA_CLOUD_ACCESS_KEY_ID) headers['x-fc-access-key-id'] = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  if (env.ALIBABA_CLOUD_ACCESS_KEY_SECRET) headers['x-fc-access-key-secret'] = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (env.ALIBABA_CLOUD_SECURITY_TOKEN) headers['x-fc-security-token'] = env.ALIBABA_CLOUD_SECURITY_TOKEN;
  return headers;
}
