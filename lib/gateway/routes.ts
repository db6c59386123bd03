/**
 * FC's URLs, as the gateway serves them for its one function:
 *
 * - `POST /2023-03-30/functions/<name>/invocations[?qualifier=Q]`: FC 3.0's InvokeFunction;
 * - `POST /2016-08-15/services/<service>[.<Q>]/functions/<name>/invocations`: FC 2.0's;
 * - `/2016-08-15/proxy/<service>[.<Q>]/<name>/...`: FC 2.0's HTTP trigger on its default domain;
 * - every other path: the HTTP trigger at the root, with a custom domain, and under the FC 3.0
 *   profile, whose public trigger is `https://<prefix>.<region>.fcapp.run/<path>` ("format:
 *   https://[subdomain-prefix].[region].fcapp.run", https://www.alibabacloud.com/help/en/functioncompute/how-to-ensure-that-the-public-network-access-address-of-the-http-trigger-returns-the-apk-file-normally):
 *   the path as the caller sent it, no base path. The API paths above are matched first, so they
 *   keep working in every profile; an app's own path under them is not reachable at the root.
 */
import { GatewayError } from '../rules/errors.js';
import type { Profile } from '../rules/profile.js';

/** An event invocation through one of FC's APIs. */
export interface InvokeRoute {
  kind: 'invoke';
  api: 'fc3' | 'fc2';
  /** The service named by an FC 2.0 URL; empty for FC 3.0, which has none. */
  serviceName: string;
  /** The qualifier the URL names, if any. */
  qualifier: string | undefined;
}

/** A call through the HTTP trigger. */
export interface HttpRoute {
  kind: 'http';
  /** `x-fc-base-path`: `/2016-08-15/proxy/<service>/<name>/` on FC 2.0's default domain, empty at the root. */
  basePath: string;
  serviceName: string;
  qualifier: string | undefined;
}

/** A URL the gateway answers itself with FC's gateway error shape. */
export interface ErrorRoute {
  kind: 'error';
  error: GatewayError;
  /** The `allow` header of a 405. */
  allow?: string;
}

export type Route = InvokeRoute | HttpRoute | ErrorRoute;

/** The function the gateway serves. */
export interface Served {
  functionName: string;
  serviceName: string;
  customDomain: boolean;
  /** Under `fc3` the HTTP trigger serves paths at the root, as FC 3.0's fcapp.run trigger does. */
  profile: Profile;
}

const FC3_PREFIX = '/2023-03-30/functions/';
const FC2_SERVICES_PREFIX = '/2016-08-15/services/';
const PROXY_PREFIX = '/2016-08-15/proxy/';

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** `svc.LATEST` → `['svc', 'LATEST']`; `svc` → `['svc', undefined]`. */
function splitQualifier(segment: string): [string, string | undefined] {
  const dot = segment.indexOf('.');
  return dot === -1 ? [segment, undefined] : [segment.slice(0, dot), segment.slice(dot + 1) || undefined];
}

function notFound(served: Served, what: string, fc2: boolean): ErrorRoute {
  const servedName = fc2 ? `function "${served.functionName}" of service "${served.serviceName}"` : `function "${served.functionName}"`;
  return { kind: 'error', error: new GatewayError('FC_FUNCTION_NOT_FOUND', `${what} does not exist here: this emulator serves ${servedName}`) };
}

function methodNotAllowed(method: string): ErrorRoute {
  return { kind: 'error', error: new GatewayError('FC_METHOD_NOT_ALLOWED', `${method} is not allowed on the invocation API: use POST`), allow: 'POST' };
}

/** True when every path the APIs do not claim goes to the HTTP trigger at the root. */
export function servesRoot(served: Served): boolean {
  return served.customDomain || served.profile === 'fc3';
}

/** The URLs the gateway serves, for the 404 of an unknown path. */
export function describeUrls(served: Served): string {
  const { functionName: fn, serviceName: svc } = served;
  const root = served.customDomain ? ', and any other path (custom domain)' : served.profile === 'fc3' ? ', and any other path (FC 3.0 HTTP trigger)' : '';
  return `POST ${FC3_PREFIX}${fn}/invocations, POST ${FC2_SERVICES_PREFIX}${svc}/functions/${fn}/invocations, `
    + `${PROXY_PREFIX}${svc}/${fn}/...${root}`;
}

/** Decides what a request is. `url` is the request target as received. */
export function resolveRoute(method: string, url: string, served: Served): Route {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);

  if (path.startsWith(FC3_PREFIX)) {
    const parts = path.slice(FC3_PREFIX.length).split('/');
    if (parts.length === 2 && parts[1] === 'invocations') {
      const name = decode(parts[0]!);
      if (name !== served.functionName) return notFound(served, `Function "${name}"`, false);
      if (method !== 'POST') return methodNotAllowed(method);
      const qualifier = query === -1 ? undefined : new URLSearchParams(url.slice(query + 1)).get('qualifier') ?? undefined;
      return { kind: 'invoke', api: 'fc3', serviceName: '', qualifier: qualifier || undefined };
    }
  } else if (path.startsWith(FC2_SERVICES_PREFIX)) {
    const parts = path.slice(FC2_SERVICES_PREFIX.length).split('/');
    if (parts.length === 4 && parts[1] === 'functions' && parts[3] === 'invocations') {
      const [service, qualifier] = splitQualifier(decode(parts[0]!));
      const name = decode(parts[2]!);
      if (service !== served.serviceName || name !== served.functionName) {
        return notFound(served, `Function "${name}" of service "${service}"`, true);
      }
      if (method !== 'POST') return methodNotAllowed(method);
      return { kind: 'invoke', api: 'fc2', serviceName: service, qualifier };
    }
  } else if (path.startsWith(PROXY_PREFIX)) {
    const parts = path.slice(PROXY_PREFIX.length).split('/');
    if (parts.length >= 2 && parts[0] && parts[1]) {
      const [service, qualifier] = splitQualifier(decode(parts[0]));
      const name = decode(parts[1]);
      if (service !== served.serviceName || name !== served.functionName) {
        return notFound(served, `Function "${name}" of service "${service}"`, true);
      }
      return { kind: 'http', basePath: `${PROXY_PREFIX}${parts[0]}/${parts[1]}/`, serviceName: service, qualifier };
    }
  }
  if (servesRoot(served)) return { kind: 'http', basePath: '', serviceName: '', qualifier: undefined };
  return { kind: 'error', error: new GatewayError('FC_PATH_NOT_FOUND', `No FC API or HTTP trigger at ${path}. This emulator serves ${describeUrls(served)}`) };
}
