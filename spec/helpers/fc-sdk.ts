/**
 * FC's own SDKs pointed at a local gateway: `@alicloud/fc2` (the 2016-08-15 API) and
 * `@alicloud/fc20230330` (the 2023-03-30 API, through `@alicloud/openapi-core`), with the calls
 * the specs make and what each returns, read whole.
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import FC3Module from '@alicloud/fc20230330';
import * as OpenApi from '@alicloud/openapi-core';
import * as Dara from '@darabonba/typescript';

/** The 2023-03-30 SDK's exports (its `default` is the client class). */
const FC3 = FC3Module as unknown as {
  default: new (config: unknown) => Fc3Client;
  InvokeFunctionRequest: new (map: { body?: Readable; qualifier?: string }) => unknown;
  InvokeFunctionHeaders: new (map: { xFcLogType?: string; xFcInvocationType?: string }) => unknown;
};

interface Fc3Client {
  invokeFunctionWithOptions(name: string, request: unknown, headers: unknown, runtime: unknown): Promise<{ statusCode: number; headers: Record<string, string>; body: Readable }>;
}

interface Fc2Client {
  invokeFunction(service: string, name: string, event: string, headers?: Record<string, string>, qualifier?: string): Promise<{ headers: Record<string, string>; data: unknown }>;
}

/** What an SDK returned for an invocation: status (the 2023-03-30 SDK's), headers, body text. */
export interface SdkReply {
  status: number | undefined;
  headers: Record<string, string>;
  text: string;
}

/** The 2016-08-15 SDK: CommonJS, shipped without types. */
const FC2Client = createRequire(import.meta.url)('@alicloud/fc2') as new (accountId: string, config: object) => Fc2Client;

export function createFc2Client(port: number): Fc2Client {
  const Client = FC2Client;
  return new Client('123456', { accessKeyID: 'AK', accessKeySecret: 'SK', region: 'cn-hangzhou', endpoint: `http://127.0.0.1:${port}`, timeout: 10_000 });
}

export function createFc3Client(port: number): Fc3Client {
  const Config = (OpenApi as unknown as { $OpenApiUtil: { Config: new (map: object) => unknown } }).$OpenApiUtil.Config;
  // The SDK's documented endpoint form, host:port, over plain HTTP to loopback.
  return new FC3.default(new Config({ accessKeyId: 'AK', accessKeySecret: 'SK', endpoint: `127.0.0.1:${port}`, protocol: 'http', regionId: 'cn-hangzhou' }));
}

/** InvokeFunction through the 2016-08-15 SDK; `tail` asks for the log tail. */
export async function invokeFc2(client: Fc2Client, service: string, name: string, event: string, tail = false): Promise<SdkReply> {
  const { headers, data } = await client.invokeFunction(service, name, event, tail ? { 'x-fc-log-type': 'Tail' } : {});
  return { status: undefined, headers, text: typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString() : JSON.stringify(data) };
}

/**
 * InvokeFunction through the 2023-03-30 SDK (its body a `Readable`, as it wants); `tail` asks for
 * the log tail, `invocationType` is the SDK's `xFcInvocationType` (`'Async'`).
 */
export async function invokeFc3(client: Fc3Client, name: string, event: string, tail = false, invocationType?: 'Sync' | 'Async'): Promise<SdkReply> {
  const request = new FC3.InvokeFunctionRequest({ body: Readable.from([Buffer.from(event)]) });
  const headers = new FC3.InvokeFunctionHeaders({ ...(tail ? { xFcLogType: 'Tail' } : {}), ...(invocationType ? { xFcInvocationType: invocationType } : {}) });
  const reply = await client.invokeFunctionWithOptions(name, request, headers, new Dara.RuntimeOptions({}));
  const chunks: Buffer[] = [];
  for await (const chunk of reply.body) chunks.push(Buffer.from(chunk as Uint8Array));
  return { status: reply.statusCode, headers: reply.headers, text: Buffer.concat(chunks).toString() };
}

/** The decoded `x-fc-log-result`, or undefined when there is none. */
export function readLogTail(reply: SdkReply): string | undefined {
  const value = reply.headers['x-fc-log-result'];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
}
