/** FC's common `x-fc-*` headers on every request the gateway sends to the instance (lib/rules/fc-headers.ts builds them). */
import { buildFcHeaders as buildHeaders } from '../rules/fc-headers.js';
import type { GatewayState } from './state.js';

/**
 * FC's common headers for one request to the instance, from the gateway's options; the
 * credentials from the environment FC would hand the function. Takes only `options` of the
 * state, so the conformance check (check/probe.ts) sends the same.
 */
export function buildFcHeaders(gw: Pick<GatewayState, 'options'>, requestId: string, controlPath: string, extra: { serviceName?: string; qualifier?: string; basePath?: string; clientIp?: string; retryCount?: number } = {}): Record<string, string> {
  const o = gw.options;
  const env = { ...process.env, ...o.env };
  return buildHeaders({
    requestId,
    controlPath,
    functionName: o.functionName,
    handler: o.handler,
    memory: o.memory,
    timeout: o.timeout,
    region: o.region,
    accountId: o.accountId,
    qualifier: extra.qualifier ?? o.qualifier,
    retryCount: extra.retryCount ?? 0,
    initializer: o.initializer ? { handler: o.initializerHandler, timeout: o.initializationTimeout } : undefined,
    preStopHandler: o.preStop ? o.preStopHandler : undefined,
    serviceName: extra.serviceName,
    basePath: extra.basePath,
    clientIp: extra.clientIp,
    credentials: { accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID, accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET, securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN },
  });
}
