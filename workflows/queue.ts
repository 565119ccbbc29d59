import { condition, setHandler, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { PlanOrWait, Unavailable } from '../activities/prepare';
import type { PlannedRequest } from '../activities/plan';
import { applicationFailureOf, toFailure } from '../src/errors';
import { queueReason, queueTimeout, queueWakeMs, type QueueSettings } from '../src/queue/decide';
import type { RequestStatusView } from '../src/temporal/contract';
import { GatehouseSearch } from '../src/temporal/searchAttributes';
import { wakeQueuedSignal } from './definitions';


export interface QueueRun<T> {
  view: RequestStatusView;
  /** The route's queue for this request; absent: a failure ends the request as always. */
  settings?: QueueSettings;
  /** Admission's plan, or why there was none. */
  first: PlanOrWait;
  /** One go with a plan: the provider calls, validation and review. */
  call: (plan: PlannedRequest) => Promise<T>;
  /** A fresh plan (breakers, kill switch and routes as they are now), or why there is still none. */
  replan: () => Promise<PlanOrWait>;
  /** Every plan taken (status view, search attributes, shadow). */
  onPlan: (plan: PlannedRequest) => void;
}

/**
 * The request's answer, waiting in the route's queue while no candidate can give one: a durable
 * timer between rounds (no worker memory or activity is held), then a fresh plan and its tries,
 * until the answer or `maxWait` (503 `queue_timeout`). Which failures wait is `queueReason`'s call.
 */
export async function answerOrWait<T>(r: QueueRun<T>): Promise<T & { plan: PlannedRequest }> {
  let next = r.first;
  let waiting: Waiting | undefined;
  for (;;) {
    if (next.plan) {
      r.onPlan(next.plan);
      const from = r.view.attempts.length;
      try {
        return { ...(await r.call(next.plan)), plan: next.plan };
      } catch (err) {
        const unavailable = r.settings && unavailableAfter(err, r.view.attempts.slice(from));
        if (!unavailable) throw err;
        next = { unavailable };
      }
    }
    if (!r.settings) throw new Error('no plan and no queue'); // prepare never returns that
    waiting ??= new Waiting(r.view, r.settings);
    await waiting.wait(next.unavailable);
    next = await r.replan();
  }
}

/** This round's failure, when waiting may cure it. */
function unavailableAfter(err: unknown, attempts: RequestStatusView['attempts']): Unavailable | undefined {
  const f = applicationFailureOf(err);
  const code = (f?.details?.[0] as { code?: string } | undefined)?.code;
  if (!f || !code) return undefined;
  const reason = queueReason({ code, message: f.message }, attempts);
  return reason && { reason, code, message: f.message };
}

/** One request's stay in the queue: its clock, its state in the status view, its wake-ups. */
class Waiting {
  private readonly sinceMs = Date.now();
  private waits = 0;
  private woken = false;

  constructor(
    private readonly view: RequestStatusView,
    private readonly settings: QueueSettings,
  ) {
    setHandler(wakeQueuedSignal, () => void (this.woken = true));
  }

  /** Sleeps until the next round, or fails with `queue_timeout` once `maxWait` has passed. */
  async wait(u: Unavailable): Promise<void> {
    const waitedMs = Date.now() - this.sinceMs;
    const remainingMs = this.settings.maxWaitMs - waitedMs;
    if (remainingMs <= 0) throw toFailure(queueTimeout(waitedMs, u.reason, u.message, this.view.attempts));
    const state = {
      reason: u.reason,
      message: u.message,
      since: new Date(this.sinceMs).toISOString(),
      until: new Date(this.sinceMs + this.settings.maxWaitMs).toISOString(),
      waits: this.waits + 1,
      held: this.view.queue?.held ?? false,
    };
    const before = this.view.queue;
    Object.assign(this.view, { step: 'queued', queue: state });
    // Ops count and find queued requests by this attribute (GET /admin/queue); it stays until the
    // request ends. Written when it changes only: every upsert is a history event.
    if (!before) upsertSearchAttributes([{ key: GatehouseSearch.status, value: 'queued' }]);
    if (before?.reason !== state.reason) upsertMemo({ queue: { reason: state.reason, since: state.since, until: state.until } });
    await this.sleep(queueWakeMs(this.waits++, remainingMs, this.settings.maxWaitMs));
    this.view.step = 'calling';
  }

  /** A durable timer (or the wake signal); past `holdSync` the synchronous caller is let go (202). */
  private async sleep(ms: number): Promise<void> {
    this.woken = false;
    const wakeAt = Date.now() + ms;
    const holdAt = this.sinceMs + this.settings.holdSyncMs;
    const queue = this.view.queue!;
    if (!queue.held && holdAt < wakeAt) {
      if (await condition(() => this.woken, Math.max(1, holdAt - Date.now()))) return;
      queue.held = true;
    }
    await condition(() => this.woken, Math.max(1, wakeAt - Date.now()));
  }
}
