/**
 * fc-container: the HTTP server Alibaba Cloud Function Compute expects inside a Custom Container.
 *
 * ```ts
 * import { serve } from 'fc-container';
 * await serve({ invoke: async (event, context) => ({ ok: true }) });
 * ```
 */
export { createServer, serve } from './server.js';
export { countServeCalls, setServeDefaults } from './runtime/serve-calls.js';
/** @internal For `fc-container/testing`: where an invocation's output goes instead of stdout. */
export { interceptOutput } from './runtime/output.js';
export type { OutputInterceptor } from './runtime/output.js';
export { getContext } from './runtime/async-context.js';
export { Context, Credentials } from './runtime/context.js';
export type { FunctionMeta, ServiceMeta, TracingMeta } from './runtime/context.js';
export { HANDLER_NAMES } from './runtime/handlers.js';
export type { Handlers, InvokeHandler, InitializeHandler, HttpHandler, FetchHandler, HookHandler } from './runtime/handlers.js';
export type { Options } from './runtime/options.js';
export { DEFAULT_LIMITS, FC3_LIMITS } from './rules/limits.js';
export type { Limits, LimitsOption, LimitsPreset } from './rules/limits.js';
export type { Profile } from './rules/profile.js';
export { ERRORS, GatewayError, LimitError, FunctionError } from './rules/errors.js';
export type { FunctionErrorBody, GatewayErrorCode } from './rules/errors.js';
export type { Logger, LogLevel, LogThreshold } from './runtime/logger.js';
export type { Payload } from './rules/result.js';
