/**
 * fc-container/emulator: FC's gateway, locally, in front of a Custom Container's server.
 *
 * ```ts
 * import { createGateway } from 'fc-container/emulator';
 *
 * const gateway = await createGateway({ command: ['node', 'server.js'], port: 0, initializer: true });
 * await fetch(`${gateway.url}/2023-03-30/functions/my-function/invocations`, { method: 'POST', body: '{}' });
 * await gateway.close();
 * ```
 *
 * Its own bundle (dist/emulator.cjs): the core's rule modules (limits, header rules, error shapes,
 * body drain) are the same source files the runtime uses; no class crosses between the two.
 */
export { createGateway, Gateway } from './gateway/gateway.js';
export { newRequestId } from './gateway/ids.js';
export { FC_COMMON_ERROR, UNHANDLED_INVOCATION_ERROR } from './rules/errors.js';
export { findFreePort } from './gateway/supervisor.js';
export type { ColdStart, InitializeReport, InvocationSummary, ReadyReport } from './gateway/reports.js';
export { GATEWAY_DEFAULTS, resolveGatewayOptions } from './gateway/options.js';
export type { GatewayOptions, ResolvedGatewayOptions } from './gateway/options.js';
export type { Profile } from './rules/profile.js';
export { StartError } from './gateway/instance.js';
export type { StartFailureReason } from './gateway/instance.js';
/** The `fc-container emulate` command, for the CLI. */
export { EMULATE_HELP, parseEmulateArgs, runEmulateCli } from './gateway/cli.js';
