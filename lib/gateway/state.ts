/**
 * What the gateway's modules share: its options and output, the concurrency slots, the instance
 * now serving and the one being started, and whether it is closing. One object, handed to each
 * module's functions, so each concern lives in its own file.
 */
import type { EventEmitter } from 'node:events';
import type { Server } from 'node:http';
import type { AsyncEvents } from './async-events.js';
import type { Call } from './call.js';
import type { Instance } from './instance.js';
import type { Relay } from './websocket.js';
import type { InvocationLogs } from './log-tail.js';
import type { ResolvedGatewayOptions } from './options.js';
import type { Printer } from './output.js';
import type { Slots } from './queue.js';
import type { Served } from './routes.js';

/** What an Initializer run tells the requests that waited on it. */
export type InitOutcome =
  | { ok: true }
  | { ok: false; status: number; headers: string[]; body: Buffer };

export type GatewayInstance = Instance<InitOutcome>;

/** The gateway's state, shared by its modules. */
export interface GatewayState {
  readonly options: ResolvedGatewayOptions;
  readonly printer: Printer;
  readonly server: Server;
  readonly slots: Slots;
  readonly served: Served;
  /** Response header names warned about once. */
  readonly warned: Set<string>;
  readonly maxResponseHead: number;
  current: GatewayInstance | undefined;
  starting: Promise<GatewayInstance> | undefined;
  closing: Promise<void> | undefined;
  /** Whether the gateway said once that /proc cannot tell the listen address. */
  saidAddressUnknown: boolean;
  /** Whether the gateway said once that `--target` gives no log tail. */
  saidNoLogTail: boolean;
  /** The invocations in flight, and the container's lines for each (log tails). */
  readonly logs: InvocationLogs;
  /** The open WebSocket relays (websocket.ts), destroyed at stop: `server.close()` waits for upgraded sockets. */
  readonly relays: Set<Relay>;
  /** The asynchronous events and their attempts. */
  readonly async: AsyncEvents<Call>;
  /** The gateway's own events (`'ready'`, `'initialize'`, `'invocation'`, `'restart'`, `'exit'`). */
  readonly emit: EventEmitter['emit'];
  readonly onProcessExit: () => void;
}
