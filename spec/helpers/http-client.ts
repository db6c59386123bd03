/**
 * A small HTTP client on node:http that reads whole responses, and FC's common request headers.
 */
import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';

/** A response read whole. */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  text: string;
  json<T = any>(): T;
}

export interface RequestOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string | string[] | number>;
  body?: string | Buffer;
  agent?: Agent | false;
}

/** Sends one request with node:http and reads the whole response. */
export function send(port: number, options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      method: options.method ?? 'GET',
      path: options.path ?? '/',
      headers: options.headers as Record<string, string>,
      agent: options.agent ?? false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body,
          text,
          json: () => JSON.parse(text),
        });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** `POST /invoke` with FC's control-path header and the given body. */
export function invoke(port: number, body: string | Buffer = '', headers: Record<string, string> = {}): Promise<Reply> {
  return send(port, {
    method: 'POST',
    path: '/invoke',
    headers: { 'x-fc-control-path': '/invoke', 'content-type': 'application/octet-stream', ...headers },
    body,
  });
}

/** The FC common headers a real invocation carries. */
export function fcHeaders(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    'x-fc-request-id': 'req-0001',
    'x-fc-access-key-id': 'STS.keyid',
    'x-fc-access-key-secret': 'very-secret-key-value-123',
    'x-fc-security-token': 'security-token-value-ABCDEFGH',
    'x-fc-function-name': 'hello',
    'x-fc-function-handler': 'index.handler',
    'x-fc-function-memory': '512',
    'x-fc-function-timeout': '60',
    'x-fc-function-initializer': 'index.initializer',
    'x-fc-initialization-timeout': '30',
    'x-fc-region': 'cn-hangzhou',
    'x-fc-account-id': '1234567890123456',
    'x-fc-qualifier': 'LATEST',
    'x-fc-version-id': '0000',
    'x-fc-service-name': 'svc',
    'x-fc-service-logproject': 'logproj',
    'x-fc-service-logstore': 'logstore',
    'x-fc-tracing-opentracing-span-context': 'span-ctx',
    'x-fc-tracing-opentracing-span-baggages': 'baggage',
    'x-fc-tracing-jaeger-endpoint': 'http://jaeger',
    ...overrides,
  };
}
