/**
 * fc-container: the HTTP server Alibaba Cloud Function Compute expects inside a Custom Container.
 *
 * ```ts
 * import { serve } from 'fc-container';
 * await serve({ invoke: async (event, context) => ({ ok: true }) });
 * ```
 */
export { createServer, serve } from './server.js';
export { getContext } from './async-context.js';
export { Context, Credentials } from './context.js';
export type { FunctionMeta, ServiceMeta, TracingMeta } from './context.js';
export { HANDLER_NAMES } from './handlers.js';
export type { Handlers, InvokeHandler, InitializeHandler, HttpHandler, FetchHandler, HookHandler } from './handlers.js';
export type { Options } from './options.js';
export { DEFAULT_LIMITS, FC3_LIMITS } from './limits.js';
export type { Limits, LimitsOption, LimitsPreset } from './limits.js';
export { ERRORS, GatewayError, LimitError, FunctionError } from './errors.js';
export type { FunctionErrorBody, GatewayErrorCode } from './errors.js';
export type { Logger, LogLevel, LogThreshold } from './logger.js';
export type { Payload } from './result.js';
