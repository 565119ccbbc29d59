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
  /** Authenticated caller name (the front door checked the key). */
  caller: string;
  task: string;
  body: ChatCompletionRequest;
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
  caller: string;
  team: string | null;
  task: string;
  route: string | null;
  model: string | null;
  status: 'completed' | 'failed' | 'denied';
  errorCode: string | null;
  usage: Usage | null;
  latencyMs: number;
  attempts: AttemptRecord[];
  explanation: string | null;
}
