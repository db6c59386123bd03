/**
 * Event functions and the lifecycle hooks (`POST /invoke`, `/initialize`, `/pre-stop`,
 * `/pre-freeze`): the body read whole, the handler called, its result sent as FC's payload.
 */
import { GatewayError } from '../rules/errors.js';
import type { Context } from './context.js';
import { failInvocation } from './failures.js';
import { armTimeout } from './function-timeout.js';
import { callHandler, ensureInitialized, needsInitializer, runInitializer } from './handler-call.js';
import type { Invocation } from './invocation.js';
import { markInvocationOver, sendFinalWrite } from './markers.js';
import { refuseRequest } from './refusals.js';
import { sendPayload } from '../rules/response.js';
import { EMPTY_PAYLOAD, serializeResult, type Payload } from '../rules/result.js';

/** The event of a `POST /invoke` without a body: shared, as nothing writes to it. */
export const EMPTY_EVENT = Buffer.alloc(0);

/** Hears the whole event body (readBody): runs the function, refuses an over-limit body, or drops a request whose client left. */
export function onEventBody(inv: Invocation, error: Error | null, body: Buffer): void {
  if (error === null) {
    void runEvent(inv, body);
  } else if (error instanceof GatewayError) {
    refuseRequest(inv, error, false);
  } else {
    // The client went away mid-body: nobody to answer.
    inv.answered = true;
    markInvocationOver(inv);
  }
}

/** Runs the event function on its event (after the Initializer) and sends its result as FC's payload. */
export async function runEvent(inv: Invocation, event: Buffer): Promise<void> {
  if (needsInitializer(inv) && !(await ensureInitialized(inv))) return;
  armTimeout(inv);
  let payload: Payload;
  try {
    payload = serializeResult(await callHandler(inv, inv.runtime.handlers.invoke!, event, inv.context));
  } catch (error) {
    failInvocation(inv, error, 404);
    return;
  }
  respond(inv, payload);
}

/** Answers `/initialize`: runs the Initializer through its gate and sends its result. */
export async function runInitialize(inv: Invocation): Promise<void> {
  armTimeout(inv);
  let payload: Payload;
  try {
    payload = await runInitializer(inv);
  } catch (error) {
    failInvocation(inv, error, 404);
    return;
  }
  respond(inv, payload);
}

/** Answers `/pre-stop` or `/pre-freeze`: runs the hook and sends an empty 200. */
export async function runHook(inv: Invocation, hook: (context: Context) => unknown): Promise<void> {
  armTimeout(inv);
  try {
    await callHandler(inv, hook, inv.context);
  } catch (error) {
    failInvocation(inv, error, 404);
    return;
  }
  respond(inv, EMPTY_PAYLOAD);
}

/** Sends the function's payload, unless the request was answered already (the timeout came first). */
function respond(inv: Invocation, payload: Payload): void {
  if (inv.answered) return;
  inv.answered = true;
  sendFinalWrite(inv, sendPayload, 200, payload);
}
