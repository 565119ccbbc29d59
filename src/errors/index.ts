import { ActivityFailure, ApplicationFailure } from '@temporalio/common';

/**
 * The gateway's typed errors. Each knows its HTTP status, its stable `code` and whether Temporal may
 * retry it; `toFailure` / `fromFailure` are the one place they cross into and out of Temporal.
 * Workflow-safe: imports only @temporalio/common.
 */
export type ErrorKind =
  | 'InvalidRequest'
  | 'Unauthenticated'
  | 'PolicyDenied'
  | 'NotFound'
  | 'Conflict'
  | 'ProviderRejected'
  | 'ProviderUnavailable'
  | 'OutputRejected'
  /** The gateway cannot reach its own durable store (Temporal) right now: a 503, retry later. */
  | 'Unavailable'
  | 'Internal';

const OPENAI_TYPE: Record<ErrorKind, string> = {
  InvalidRequest: 'invalid_request_error',
  Unauthenticated: 'authentication_error',
  PolicyDenied: 'permission_error',
  NotFound: 'not_found_error',
  Conflict: 'invalid_request_error',
  ProviderRejected: 'invalid_request_error',
  ProviderUnavailable: 'api_error',
  /** The answer was produced but not released: it failed output validation or a reviewer rejected it. */
  OutputRejected: 'output_rejected_error',
  Unavailable: 'api_error',
  Internal: 'api_error',
};

const DEFAULT_STATUS: Record<ErrorKind, number> = {
  InvalidRequest: 400,
  Unauthenticated: 401,
  PolicyDenied: 403,
  NotFound: 404,
  Conflict: 409,
  ProviderRejected: 400,
  ProviderUnavailable: 502,
  OutputRejected: 422,
  Unavailable: 503,
  Internal: 500,
};

export interface ErrorDetails {
  status: number;
  code: string;
  param?: string;
  /** Extra, secret-free facts for the caller (e.g. the attempts made). */
  meta?: Record<string, unknown>;
  /** Who was refused, once admission knew (for the ledger and search attributes; not sent to the caller). */
  who?: RefusedAs;
}

/** The identity a refusal is attributed to: as far as admission got before it refused. */
export interface RefusedAs {
  caller: string;
  team: string;
  task?: string;
  /** The route chosen (or matched, when it was the route that refused: kill switch, size). */
  route?: string;
  /** Kinds of sensitive data found before the refusal (names, never the values): a blocked prompt's. */
  sensitiveKinds?: string[];
  /** What screening did (`blocked` when the screening itself refused). */
  sensitiveAction?: string;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly code: string;
  readonly param?: string;
  readonly meta?: Record<string, unknown>;
  readonly who?: RefusedAs;

  constructor(
    readonly kind: ErrorKind,
    code: string,
    message: string,
    opts: { status?: number; param?: string; meta?: Record<string, unknown>; who?: RefusedAs } = {},
  ) {
    super(message);
    this.name = kind;
    this.code = code;
    this.status = opts.status ?? DEFAULT_STATUS[kind];
    this.param = opts.param;
    this.meta = opts.meta;
    this.who = opts.who;
  }

  /** The same refusal, attributed to `who` (unless it already names someone). */
  attributedTo(who: RefusedAs | undefined): GatewayError {
    if (!who || this.who) return this;
    return new GatewayError(this.kind, this.code, this.message, { status: this.status, param: this.param, meta: this.meta, who });
  }

  /** OpenAI-style error JSON. */
  toBody(): { error: { message: string; type: string; code: string; param: string | null }; gatehouse?: unknown } {
    const body = { error: { message: this.message, type: openAIType(this), code: this.code, param: this.param ?? null } };
    return this.meta ? { ...body, gatehouse: this.meta } : body;
  }
}

/**
 * The `error.type` OpenAI's own API sends, by kind, and for a 429 as OpenAI words it: `requests` or
 * `tokens` (the limit that refused; loop detection counts requests), `insufficient_quota` for a
 * spent budget (waiting a moment will not help). The SDKs pick RateLimitError from the status.
 */
export function openAIType(err: Pick<GatewayError, 'kind' | 'status' | 'code' | 'meta'>): string {
  if (err.status !== 429) return OPENAI_TYPE[err.kind];
  if (err.code === 'budget_exceeded') return 'insufficient_quota';
  return err.meta?.kind === 'tokens' ? 'tokens' : 'requests';
}

export const invalidRequest = (code: string, message: string, param?: string) =>
  new GatewayError('InvalidRequest', code, message, { param });
export const unauthenticated = (code: string, message: string) => new GatewayError('Unauthenticated', code, message);
export const policyDenied = (code: string, message: string) => new GatewayError('PolicyDenied', code, message);
export const notFound = (code: string, message: string) => new GatewayError('NotFound', code, message);
/** A request its caller (or an operator) cancelled: the same error over HTTP, webhooks and the TS client. */
export const requestCancelled = () => new GatewayError('Conflict', 'request_cancelled', 'The request was cancelled');

/** Into Temporal: gateway errors are decisions, never retried. */
export function toFailure(err: GatewayError): ApplicationFailure {
  const details: ErrorDetails = { status: err.status, code: err.code, param: err.param, meta: err.meta, who: err.who };
  return ApplicationFailure.create({ type: err.kind, message: err.message, nonRetryable: true, details: [details] });
}

/** Out of Temporal: find the gateway error in a failure's cause chain (workflow failure → activity → app). */
export function fromFailure(err: unknown): GatewayError | undefined {
  for (let cur: unknown = err; cur instanceof Error; cur = (cur as Error & { cause?: unknown }).cause) {
    if (cur instanceof GatewayError) return cur;
    if (cur instanceof ApplicationFailure && cur.type && cur.type in OPENAI_TYPE) {
      const d = (cur.details?.[0] ?? {}) as Partial<ErrorDetails>;
      return new GatewayError(cur.type as ErrorKind, d.code ?? 'error', cur.message, {
        status: d.status,
        param: d.param,
        meta: d.meta,
        who: d.who,
      });
    }
  }
  return undefined;
}

/** The ApplicationFailure an activity (or the workflow itself) failed with, unwrapped one level. */
export function applicationFailureOf(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause;
  return undefined;
}
