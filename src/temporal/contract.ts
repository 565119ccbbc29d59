import type { ChatCompletion, ChatCompletionRequest, EmbeddingsRequest, Operation, Usage } from '../config/api';
import type { DegradedChoice, DegradedReason } from '../config/degraded';
import type { DataClass, Latency, Priority, Risk } from '../config/routing';
import type { SensitiveKind } from '../policy/sensitivity';
import type { QueuePreference, QueueReason } from '../queue/decide';
import type { CacheDirective } from '../cache/policy';
import type { ReviewRecord, ReviewState } from '../review/types';

/**
 * What crosses the Temporal boundary: the request workflow's input and output. Type-only, so both
 * workflow code and the front door import it freely.
 */
export const TASK_QUEUE = 'gatehouse';
export const WORKFLOW_TYPE = 'aiRequest';
/** `POST /v1/embeddings`: the same admission, plan, fallback and ledger (workflows/embeddingsRequest.ts). */
export const EMBEDDINGS_WORKFLOW_TYPE = 'embeddingsRequest';

export interface AiRequestInput {
  /** = the workflow id. */
  requestId: string;
  /**
   * The caller's credential as a sealed envelope (src/auth/credentialSeal.ts): its key hash, sealed
   * to the workers for this workflow id, never the raw key. The workflow authenticates it itself, so
   * no way in skips the check, and neither the codec nor the UI can open it.
   */
  credential: string;
  /** Else the caller's default task. */
  task?: string;
  /** Declared by the caller (else its default risk); route and policy may raise it. */
  risk?: string;
  /** `batch` may go to cheaper, slower models. Default `realtime`. */
  latency?: string;
  /** `low` | `normal` | `high`: what the answer is worth (HTTP: `x-gatehouse-priority`); else the caller's default. */
  priority?: string;
  body: ChatCompletionRequest;
  /** `allow` | `deny` the route's reduced-output plan for this request (HTTP: `x-gatehouse-degraded`). */
  degraded?: string;
  /** `x-gatehouse-queue`: opt out of (or shorten) the route's queue. Absent: the route's queue as configured. */
  queue?: QueuePreference;
  /** The caller's `Cache-Control`: `no-cache` (answer fresh) or `no-store` (and keep nothing), where the route allows. */
  cacheControl?: CacheDirective;
  /**
   * The caller waits for the answer on the connection that sent it (synchronous or streamed, not
   * `Prefer: respond-async`) and a route for its task calls locally: its first provider call may run in the admission step
   * (src/routing/firstTry.ts), one local activity fewer; its status reads `admitting` until that call ends.
   */
  waited?: boolean;
}

/** What admission decided: who, which route, what the data is, what limits said. */
export interface Admission {
  caller: string;
  team: string;
  task: string;
  route: string;
  risk: Risk;
  latency: Latency;
  priority: Priority;
  dataClass: DataClass;
  sensitiveKinds: SensitiveKind[];
  /** Only private models may serve this request. */
  forcePrivate: boolean;
  /** Policy wants a human to look at this request before it is answered. */
  holdForReview?: 'sensitive_input';
  /** The redacted messages, when the route redacts; else the caller's messages go as sent. */
  redactedMessages?: ChatCompletionRequest['messages'];
  promptTokens: number;
  maxOutputTokens: number;
  /** x-ratelimit-* headers for the caller. */
  rateLimitHeaders: Record<string, string>;
  /** The caller's say on the route's reduced-output plan, when it sent one. */
  degraded?: DegradedChoice;
}

/** Where a request is, for the `status` query. */
export interface RequestStatusView {
  step: 'admitting' | 'calling' | 'queued' | 'awaiting_review' | 'recording' | 'completed' | 'failed' | 'cancelled';
  caller?: string;
  task?: string;
  route?: string;
  model?: string;
  attempts: AttemptRecord[];
  /** While and after a human review: why held, deadline, decision (never the answer). */
  review?: ReviewState;
  /** Once the request has waited in the route's queue: why, since when, until when. */
  queue?: QueueState;
}

/** A request in (or through) the route's queue (src/queue/decide.ts). */
export interface QueueState {
  reason: QueueReason;
  /** The failure that queued it last (secret-free: the gateway's own error message). */
  message: string;
  since: string;
  /** `maxWait` ends here: then the request fails with `queue_timeout`. */
  until: string;
  /** Waits so far (each followed by a new plan and tries). */
  waits: number;
  /** `holdSync` has passed: a synchronous caller (HTTP) has been answered 202 + Location. */
  held: boolean;
}

export interface AttemptRecord {
  model: string;
  /** The model's deployment this try called (models with `deployments`). */
  deployment?: string;
  outcome: 'ok' | 'failed';
  /** Failure type (e.g. ProviderServerError) when failed. */
  error?: string;
  message?: string;
  status?: number;
  /** Output validation of this attempt's answer (secret-free); a failed one makes the attempt `failed`. */
  validation?: { ok: boolean; summary: string; failed: string[] };
  /** Which try on this model (1 = first): every retry is an attempt of its own. */
  try?: number;
  /** The wait before the next try on the same model (the provider's Retry-After, or backoff). */
  retryInMs?: number;
  /** This try sent the request adapted to what the model accepts (e.g. `without_prefill`), or `continuation`. */
  adapted?: string;
  /** A stream that broke after the caller saw part of it: chunks and characters the caller had by then. */
  delivered?: { chunks: number; chars: number };
  latencyMs?: number;
  /** Malformed stream chunks this try skipped (absent: none; a `strictStreams` route skips none). */
  skippedChunks?: number;
  /** Answered from the route's response cache: no provider was called. */
  cached?: true;
}

export interface GatehouseMeta {
  request_id: string;
  route: string;
  model: string;
  upstream_model: string;
  provider: string;
  /** The model's deployment that answered (models with `deployments`). */
  deployment?: string;
  fallbacks: string[];
  attempts: AttemptRecord[];
  explanation: string;
  latency_ms: number;
  /** Priced from the provider's reported usage and the price table. */
  cost_usd: number;
  risk: string;
  data_class: string;
  /** x-ratelimit-* headers for the caller (the front door sends them as headers). */
  rate_limit?: Record<string, string>;
  /** The human review decision, when the route held the answer. */
  review?: ReviewRecord;
  /** The route-table version that planned this request (release control). */
  route_table_version?: number;
  /** E.g. the model that answered is deprecated in the catalogue. */
  warnings?: string[];
  /** Set when the route's reduced-output plan answered, with why the normal plan was left. */
  degraded?: DegradedReason;
  /** Answered from the route's response cache: what the provider call would have cost, and the entry's age. */
  cache?: { hit: true; saved_cost_usd: number; age_ms: number };
}

export type GatewayResponse = ChatCompletion & { gatehouse: GatehouseMeta };

/** The embeddings workflow's input: as a chat request's, with the embeddings body. */
export type EmbeddingsRequestInput = Omit<AiRequestInput, 'body'> & { body: EmbeddingsRequest };

/**
 * The embeddings workflow's result: OpenAI's shape with every vector as base64 float32 (compact in
 * history); the front door decodes them for `encoding_format: float` (src/embeddings/response.ts).
 */
export interface EmbeddingsResult {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
  gatehouse: GatehouseMeta;
}

export interface LedgerRow {
  requestId: string;
  /** Null when the credential did not authenticate. */
  caller: string | null;
  team: string | null;
  task: string | null;
  route: string | null;
  model: string | null;
  status: 'completed' | 'failed' | 'denied' | 'cancelled';
  errorCode: string | null;
  usage: Usage | null;
  latencyMs: number;
  attempts: AttemptRecord[];
  explanation: string | null;
  risk?: string;
  dataClass?: string;
  sensitiveKinds?: string[];
  /** What screening did with the sensitive data found (src/policy/screen.ts ScreeningAction). */
  sensitiveAction?: string;
  stage?: string;
  /** Provider + upstream model that answered, for pricing. */
  pricedAs?: { providerKind: string; upstream: string };
  /** Review reasons, deadline and decision (reviewer, time, comment), when the request was held. */
  review?: ReviewState;
  /** The route-table version that planned the request. */
  routeTableVersion?: number;
  /** What the answering provider could not honour (ChatProvider.unsupported), as the caller was told. */
  warnings?: string[];
  /** Absent: chat. */
  operation?: Operation;
  /** Why the route's reduced-output plan answered (src/routing/degraded.ts); absent: the normal plan did. */
  degraded?: DegradedReason;
  /** Answered from the response cache: no provider cost, and what it saved. */
  cacheHit?: { savedCostUsd: number };
}

/**
 * The ledger row the provider call writes itself when its answer ends the request (no validation
 * or review comes after it): the activity fills in the usage and the latencies. The common path so
 * needs no separate ledger step (a local activity costs the SDK ~3 ms of CPU and a workflow
 * activation). The last attempt is this try.
 */
export interface RowOnAnswer {
  row: LedgerRow;
  workflowStartMs: number;
}
