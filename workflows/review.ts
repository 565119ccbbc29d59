import {
  ApplicationFailure,
  condition,
  log,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { HandlerUnfinishedPolicy } from '@temporalio/common';
import type { Activities } from '../activities';
import { GatewayError, applicationFailureOf, invalidRequest, toFailure } from '../src/errors';
import { deadlineOutcome, parseDecision } from '../src/review/decide';
import type { HeldAnswerView, ReviewDecisionInput, ReviewRecord, ReviewSettings, ReviewState } from '../src/review/types';
import type { RequestStatusView } from '../src/temporal/contract';
import { GatehouseSearch } from '../src/temporal/searchAttributes';
import type { ValidationResult } from '../src/validation/types';
import { awaitOutcomeUpdate, heldAnswerQuery, reviewDecisionSignal, reviewUpdate } from './definitions';

/** Reviewer authentication reads config only: a local activity, recorded as a marker. */
const reviewers = proxyLocalActivities<Pick<Activities, 'authorizeReviewer'>>({
  startToCloseTimeout: '5s',
  retry: { maximumAttempts: 3, initialInterval: '50ms' },
});

const FINAL_STEPS: ReadonlySet<RequestStatusView['step']> = new Set(['completed', 'failed', 'cancelled']);

export interface HoldRequest {
  route: string;
  model: string;
  /** The answer as the model gave it; reviewers see it through the `heldAnswer` query only. */
  content: string;
  settings: ReviewSettings;
  reasons: string[];
  validation?: ValidationResult | null;
  /** For the reviewer only (the held-answer query), like `content`. */
  prompt?: HeldAnswerView['prompt'];
  risk?: string;
}

export interface HoldResult {
  record: ReviewRecord;
  /** Set when the reviewer edited the answer. */
  editedContent?: string;
}

/**
 * The review side of one request workflow: registers the decision Update (with its validator), the
 * Signal twin, the held-answer query and the front door's `awaitOutcome` at workflow start, then
 * `hold()` waits for a decision or the route's deadline. Waiting holds no worker memory: the
 * workflow is a timer and a condition, and is evicted from the cache like any idle workflow.
 */
export class ReviewDesk {
  private held?: HeldAnswerView;
  private decision?: ReviewRecord;
  private editedContent?: string;
  /** Decisions whose reviewer check is still running; hold() answers them before moving on. */
  private deciding = 0;

  constructor(private readonly view: RequestStatusView) {
    setHandler(awaitOutcomeUpdate, async () => {
      // Held for review, or queued past `holdSync` (workflows/queue.ts): the synchronous caller gets 202.
      const queued = () => view.queue?.held === true && !FINAL_STEPS.has(view.step);
      await condition(() => view.step === 'awaiting_review' || queued() || FINAL_STEPS.has(view.step));
      return { step: queued() ? 'queued' : view.step };
    }, { unfinishedPolicy: HandlerUnfinishedPolicy.ABANDON }); // the front door falls back to the result
    setHandler(heldAnswerQuery, () => this.held ?? null);
    setHandler(reviewUpdate, (input) => this.decide(input, 'update'), {
      // Synchronous and deterministic: no I/O here, so the reviewer is authenticated in the handler.
      validator: (input) => {
        const refusal = this.refusal(input);
        if (refusal) throw toFailure(refusal);
      },
    });
    setHandler(reviewDecisionSignal, (input) => this.onSignal(input));
  }

  /** Holds the answer until a reviewer decides or the deadline acts; returns the decision. */
  async hold(h: HoldRequest): Promise<HoldResult> {
    const state: ReviewState = { reasons: h.reasons, phase: 'review', heldAt: now(), deadlineAt: after(h.settings.deadlineMs), refused: [] };
    const validation = h.validation ? { ok: h.validation.ok, summary: h.validation.summary } : undefined;
    this.held = { route: h.route, caller: this.view.caller, task: this.view.task, model: h.model, content: h.content, prompt: h.prompt, risk: h.risk, validation, review: state };
    Object.assign(this.view, { step: 'awaiting_review', review: state });
    publishHold(h.route, h.settings, state, h.risk);
    while (!this.decision) {
      if (await condition(() => this.decision !== undefined, h.settings.deadlineMs)) break;
      const outcome = deadlineOutcome(h.settings, state.phase);
      if (outcome.action === 'escalate') {
        Object.assign(state, { phase: 'escalated', deadlineAt: after(h.settings.deadlineMs) });
        log.info('review deadline passed: escalated', { route: h.route });
        publishHold(h.route, h.settings, state, h.risk);
        continue;
      }
      const why = outcome.action === 'reject' ? { reason: outcome.reason } : { comment: outcome.reason };
      this.decision = { action: outcome.action, by: 'deadline', at: now(), via: 'deadline', phase: state.phase, ...why };
    }
    await condition(() => this.deciding === 0);
    const decision = this.decision!;
    state.decision = decision;
    publishDecision(decision);
    return { record: decision, editedContent: this.editedContent };
  }

  /** Why a decision cannot be taken now (sync: used by the update validator), else undefined. */
  private refusal(input: unknown): GatewayError | undefined {
    if (this.decision) return alreadyDecided(this.decision);
    if (!this.held) return new GatewayError('Conflict', 'not_awaiting_review', 'This request is not waiting for a review');
    const parsed = parseDecision(input);
    return parsed.ok ? undefined : invalidRequest('invalid_review_decision', parsed.error);
  }

  private async decide(input: ReviewDecisionInput, via: 'update' | 'signal'): Promise<ReviewRecord> {
    const refusal = this.refusal(input); // the signal has no validator; for the update this re-check is free
    if (refusal) throw toFailure(refusal);
    const held = this.held!;
    const d = input; // well-formed: refusal() ran parseDecision on it
    this.deciding++;
    try {
      const { credential, ...decision } = d;
      const { workflowId, startTime } = workflowInfo();
      const check = { credential, decision, workflowId, route: held.route, phase: held.review.phase, startedAtMs: startTime.getTime(), nowMs: Date.now() };
      const { reviewer } = await reviewers.authorizeReviewer(check);
      // Another decision may have won while this reviewer was being checked.
      if (this.decision) throw toFailure(alreadyDecided(this.decision));
      this.decision = {
        action: d.action,
        by: reviewer,
        at: now(),
        via,
        phase: held.review.phase,
        ...(d.comment ? { comment: d.comment } : {}),
        ...(d.reason ? { reason: d.reason } : {}),
      };
      if (d.action === 'edit') this.editedContent = d.content;
      return this.decision;
    } catch (err) {
      const failure = asApplicationFailure(err);
      this.recordRefusal(via, failure.message);
      throw failure; // an update handler that throws fails the update, never the workflow
    } finally {
      this.deciding--;
    }
  }

  /** A signal cannot answer: a refused one is logged and kept in the review state, then ignored. */
  private async onSignal(input: ReviewDecisionInput): Promise<void> {
    try {
      await this.decide(input, 'signal');
    } catch (err) {
      if (!(err instanceof ApplicationFailure)) throw err;
      log.warn('review decision signal refused', { reason: err.message });
    }
  }

  private recordRefusal(via: 'update' | 'signal', reason: string): void {
    this.held?.review.refused.push({ at: now(), via, reason });
  }
}

function alreadyDecided(d: ReviewRecord): GatewayError {
  return new GatewayError('Conflict', 'review_already_decided', `Already decided: ${d.action} by ${d.by} at ${d.at}`);
}

/** Activity failures carry the gateway's ApplicationFailure as cause; anything else becomes one. */
function asApplicationFailure(err: unknown): ApplicationFailure {
  const failure = applicationFailureOf(err);
  if (failure) return failure;
  const message = err instanceof Error ? err.message : String(err);
  return toFailure(new GatewayError('Internal', 'review_check_failed', `Could not check the reviewer: ${message}`));
}

/** Status for the UI and the reviewers' list: search attribute, memo and the workflow's current details. */
/** The memo feeds the reviewers' list (GET /admin/reviews, the console's queue); a memo's content is not replay-checked. */
function publishHold(route: string, settings: ReviewSettings, state: ReviewState, risk?: string): void {
  upsertSearchAttributes([{ key: GatehouseSearch.status, value: 'awaiting_review' }]);
  upsertMemo({ review: { reasons: state.reasons, phase: state.phase, heldAt: state.heldAt, deadlineAt: state.deadlineAt, ...(risk ? { risk } : {}) } });
  const then = state.phase === 'escalated' ? 'reject' : settings.onTimeout;
  setCurrentDetails(
    [
      `**Awaiting review** on route \`${route}\`${state.phase === 'escalated' ? ' (escalated)' : ''}: ${state.reasons.join('; ')}.`,
      `Held since ${state.heldAt}; at ${state.deadlineAt} the request will ${then}.`,
      'Decide with `gatehouse review approve|edit|reject` or the review API (`/admin/reviews`): they seal',
      'your key for this request. Never paste a raw API key into an Update or Signal here.',
    ].join('\n'),
  );
}

function publishDecision(d: ReviewRecord): void {
  upsertSearchAttributes([{ key: GatehouseSearch.status, value: 'running' }]);
  upsertMemo({ review: { decision: { action: d.action, by: d.by, at: d.at } } });
  setCurrentDetails(`Review: **${d.action}** by ${d.by} at ${d.at}${d.reason ? ` (${d.reason})` : ''}.`);
}

/** Workflow time: deterministic on replay. */
function now(): string {
  return new Date().toISOString();
}

function after(ms: number): string {
  return new Date(Date.now() + ms).toISOString();
}
