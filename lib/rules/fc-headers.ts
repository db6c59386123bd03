/**
 * FC's common `x-fc-*` request headers, the ones FC sends the instance with every request: one
 * builder for the gateway (lib/gateway/fc-headers.ts), its conformance check and the testing
 * client, so all three send what FC sends.
 */

/** What the headers carry; optional ones are sent only when given. */
export interface FcHeaderFields {
  requestId: string;
  controlPath: string;
  functionName: string;
  handler: string;
  memory: number;
  /** Seconds; fractions pass as they are (the runtime accepts them). */
  timeout: number;
  region: string;
  accountId: string;
  qualifier: string;
  /** An asynchronous event's attempt: 0 first, then 1, 2, ... (context.retryCount in fc-container). */
  retryCount: number;
  initializer?: { handler: string; timeout: number };
  preStopHandler?: string;
  serviceName?: string;
  basePath?: string;
  clientIp?: string;
  credentials?: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
}

/** The headers for one request to the instance. */
export function buildFcHeaders(f: FcHeaderFields): Record<string, string> {
  const headers: Record<string, string> = {
    'x-fc-request-id': f.requestId,
    'x-fc-control-path': f.controlPath,
    'x-fc-function-name': f.functionName,
    'x-fc-function-handler': f.handler,
    'x-fc-function-memory': String(f.memory),
    'x-fc-function-timeout': String(f.timeout),
    'x-fc-region': f.region,
    'x-fc-account-id': f.accountId,
    'x-fc-qualifier': f.qualifier,
    'x-fc-retry-count': String(f.retryCount),
  };
  if (f.initializer) {
    headers['x-fc-function-initializer'] = f.initializer.handler;
    headers['x-fc-initialization-timeout'] = String(f.initializer.timeout);
  }
  if (f.preStopHandler) headers['x-fc-instance-lifecycle-pre-stop-handler'] = f.preStopHandler;
  if (f.serviceName) headers['x-fc-service-name'] = f.serviceName;
  if (f.basePath) headers['x-fc-base-path'] = f.basePath;
  if (f.clientIp) headers['x-fc-client-ip'] = f.clientIp;
  const c = f.credentials;
  if (c?.accessKeyId) headers['x-fc-access-key-id'] = c.accessKeyId;
  if (c?.accessKeySecret) headers['x-fc-access-key-secret'] = c.accessKeySecret;
  if (c?.securityToken) headers['x-fc-security-token'] = c.securityToken;
  return headers;
}
