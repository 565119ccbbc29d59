import { awaitOutcomeUpdate } from '../../workflows/definitions';
import type { GatewayResponse } from './contract';
import type { RequestHandle, RequestStarter } from './requestStarter';

export type RequestOutcome = { held: false; response: GatewayResponse } | { held: true; status: 'awaiting_review' | 'queued' };

/**
 * How long the front door waits for an answer before asking the workflow whether it is held. Most
 * answers come sooner, so they never cost the extra Update; a held request gets its 202 this late.
 */
export const HOLD_CHECK_AFTER_MS = 200;

const WAITING = Symbol('waiting');
class Held {
  constructor(readonly status: 'awaiting_review' | 'queued') {}
}
const never = new Promise<never>(() => {});

/**
 * The answer, or `held` as soon as the request waits for a human review or has waited in the route's
 * queue for `holdSync`. The workflow's `awaitOutcome` Update completes when it is held or finished,
 * so there is no polling; the result's
 * long poll runs beside it and is aborted once the request is held (the Update is aborted once the
 * answer is in). An Update that fails for any reason just leaves the result to decide.
 */
export async function resultOrHold(starter: RequestStarter, handle: RequestHandle, checkAfterMs = HOLD_CHECK_AFTER_MS): Promise<RequestOutcome> {
  const { client } = starter;
  const stop = new AbortController();
  const result = starter.result(handle, stop.signal);
  let timer: NodeJS.Timeout | undefined;
  try {
    const waited = new Promise<typeof WAITING>((resolve) => (timer = setTimeout(() => resolve(WAITING), checkAfterMs)));
    const early = await Promise.race([result, waited]);
    if (early !== WAITING) return { held: false, response: early };
    const held = client
      .withAbortSignal(stop.signal, () => handle.executeUpdate(awaitOutcomeUpdate))
      .then((o) => (o.step === 'awaiting_review' || o.step === 'queued' ? new Held(o.step) : never), () => never);
    const first = await Promise.race([result, held]);
    return first instanceof Held ? { held: true, status: first.status } : { held: false, response: first };
  } finally {
    clearTimeout(timer);
    stop.abort();
    result.catch(() => {}); // the aborted long poll rejects with nobody left to listen
  }
}
