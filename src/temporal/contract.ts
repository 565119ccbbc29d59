import type { ChatCompletion, ChatCompletionRequest, Usage } from '../config/api';

/**
 * What crosses the Temporal boundary: the request workflow's input and output. Type-only, so both
 * workflow code and the front door import it freely.
 */
export const TASK_QUEUE = 'gatehouse';
export const WORKFLOW_TYPE = 'aiRequest';

export interface AiRequestInput {
  /** = the workflow id. */
  requestId: string;
  /**
   * The caller's API key. The workflow authenticates it itself, so no way in skips the check; it
   * travels only inside codec-encrypted payloads and is never passed on after admission.
   */
  credential: string;
  /** Else the caller's default task. */
  task?: string;
  body: ChatCompletionRequest;
}

/** Where a request is, for the `status` query. */
export interface RequestStatusView {
  step: 'admitting' | 'planning' | 'calling' | 'recording' | 'completed' | 'failed' | 'cancelled';
  caller?: string;
  task?: string;
  route?: string;
  model?: string;
  attempts: AttemptRecord[];
}

export interface AttemptRecord {
  model: string;
  outcome: 'ok' | 'failed';
  /** Failure type (e.g. ProviderServerError) when failed. */
  error?: string;
  message?: string;
  status?: number;
}

export interface GatehouseMeta {
  request_id: string;
  route: string;
  model: string;
  upstream_model: string;
  provider: string;
  fallbacks: string[];
  attempts: AttemptRecord[];
  explanation: string;
  latency_ms: number;
}

export type GatewayResponse = ChatCompletion & { gatehouse: GatehouseMeta };

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
}
