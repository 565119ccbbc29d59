import { UpstreamError } from './upstreamError';

/**
 * The four deadlines of one provider attempt (a route's `deadlines`), in ms:
 * - headers: request sent → response headers (connect included);
 * - firstToken: headers → first streamed chunk;
 * - idle: longest silence between two chunks;
 * - total: the whole attempt, first byte to last.
 * A non-streamed call only has `total`: an upstream sends its headers with the finished answer, so
 * the other three would cut long answers, not silent providers.
 */
export interface Deadlines {
  headersMs: number;
  firstTokenMs: number;
  idleMs: number;
  totalMs: number;
}

export type DeadlineKind = 'headers' | 'firstToken' | 'idle' | 'total';

/** Deadlines when a route only says `timeout`: that is the total, and nothing shorter is imposed. */
export function deadlinesFromTimeout(timeoutMs: number): Deadlines {
  return { headersMs: timeoutMs, firstTokenMs: timeoutMs, idleMs: timeoutMs, totalMs: timeoutMs };
}

/**
 * Enforces the deadlines of one attempt: `signal` aborts the upstream request the moment one passes
 * (or when `parent`, the activity's cancellation, aborts). The adapter reports each phase change.
 */
export class AttemptWatchdog {
  private readonly controller = new AbortController();
  private phaseTimer?: ReturnType<typeof setTimeout>;
  private readonly totalTimer: ReturnType<typeof setTimeout>;
  private readonly onParentAbort = () => this.controller.abort(this.parent.reason);
  /** Which deadline cut the attempt, if one did. */
  expired?: DeadlineKind;

  constructor(
    private readonly deadlines: Deadlines,
    private readonly parent: AbortSignal,
    streaming: boolean,
  ) {
    if (parent.aborted) this.controller.abort(parent.reason);
    else parent.addEventListener('abort', this.onParentAbort, { once: true });
    this.totalTimer = setTimeout(() => this.expire('total'), deadlines.totalMs);
    if (streaming) this.arm('headers', deadlines.headersMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  headersReceived(): void {
    this.arm('firstToken', this.deadlines.firstTokenMs);
  }

  chunkReceived(): void {
    this.arm('idle', this.deadlines.idleMs);
  }

  stop(): void {
    clearTimeout(this.totalTimer);
    clearTimeout(this.phaseTimer);
    this.parent.removeEventListener('abort', this.onParentAbort);
  }

  /** The provider error for the deadline that passed (kind `timeout`: never retried on the same model). */
  error(): UpstreamError {
    const d = this.deadlines;
    const text: Record<DeadlineKind, string> = {
      headers: `no response headers within ${d.headersMs} ms`,
      firstToken: `no first token within ${d.firstTokenMs} ms of the response headers`,
      idle: `stream went silent for ${d.idleMs} ms`,
      total: `attempt exceeded its total deadline of ${d.totalMs} ms`,
    };
    return new UpstreamError('timeout', `provider deadline passed: ${text[this.expired ?? 'total']}`, undefined, `deadline_${this.expired ?? 'total'}`);
  }

  private arm(kind: DeadlineKind, ms: number): void {
    clearTimeout(this.phaseTimer);
    this.phaseTimer = setTimeout(() => this.expire(kind), ms);
  }

  private expire(kind: DeadlineKind): void {
    if (this.controller.signal.aborted) return;
    this.expired = kind;
    this.stop();
    this.controller.abort(new Error(`deadline ${kind}`));
  }
}
