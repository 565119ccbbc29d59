import { Client, WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CredentialSealer } from '../auth/credentialSeal';
import { GatewayError } from '../errors';
import { EMBEDDINGS_WORKFLOW_TYPE, TASK_QUEUE, WORKFLOW_TYPE, type AiRequestInput, type EmbeddingsRequestInput, type EmbeddingsResult, type GatewayResponse } from './contract';
import { GatehouseSearch } from './searchAttributes';
import { isRetryableRead, stopping } from './unavailable';

export type RequestHandle = WorkflowHandle;

/** The result's long poll is tried this often on a transient gRPC status (100, 300 ms apart). */
export const RESULT_ATTEMPTS = 3;

/** A started request, and whether this call started it (`fresh`) or rejoined an earlier one. */
export interface Started {
  handle: RequestHandle;
  /**
   * True only for the call that created the workflow: the one proof of ownership a live stream or a
   * hang-up may act on. A rejoin (the caller's own repeat) replays the stored answer instead.
   */
  fresh: boolean;
}

/**
 * Starts (or rejoins) the request workflow: the one way in, shared by the HTTP front door and the
 * TypeScript client, so both get the same admission, limits and ledger inside the workflow.
 */
export class RequestStarter {
  /** Set by close(): waits still pending then end with a 503 instead of a dropped native call. */
  private closed = false;
  /** How to end each pending wait (a Set, not an AbortSignal: that warns past 10 listeners). */
  private readonly waiting = new Set<() => void>();

  constructor(
    readonly client: Client,
    readonly taskQueue = TASK_QUEUE,
    /** Only with a worker in this process on the same NativeConnection (the gateway's own case). */
    private readonly eagerStart = false,
    /** Seals callers' and reviewers' keys to the workers (src/auth/credentialSeal.ts); without it starts are refused. */
    readonly sealer?: CredentialSealer,
  ) {}

  /**
   * A repeated request id rejoins the first run (running or finished) and never starts a second;
   * the same id with another body is a 409. Ids of caller keys are scoped by the credential, so two
   * callers' equal keys are two requests and neither learns that the other's exists.
   */
  async start(input: Omit<AiRequestInput, 'requestId'>, requestKey?: string, requestId = requestWorkflowId(input.credential, requestKey)): Promise<Started> {
    return this.startWorkflow(WORKFLOW_TYPE, input, requestKey, requestId);
  }

  /** `POST /v1/embeddings`: the same ids, idempotency and sealing; its own workflow type. */
  async startEmbeddings(input: Omit<EmbeddingsRequestInput, 'requestId'>, requestKey?: string): Promise<Started> {
    return this.startWorkflow(EMBEDDINGS_WORKFLOW_TYPE, input, requestKey, requestWorkflowId(input.credential, requestKey));
  }

  private async startWorkflow(
    workflowType: string,
    input: Omit<AiRequestInput | EmbeddingsRequestInput, 'requestId'>,
    requestKey: string | undefined,
    requestId: string,
  ): Promise<Started> {
    // keyTag: who may read the request later. bodyHash: only a caller's own key can be repeated, so
    // only then is the body hashed (a fresh id never needs the comparison).
    const keyTag = credentialTag(input.credential);
    const memo = requestKey === undefined ? { keyTag } : { keyTag, bodyHash: digest([input.task ?? null, input.body]) };
    try {
      const handle = await this.client.workflow.start(workflowType, {
        taskQueue: this.taskQueue,
        workflowId: requestId,
        args: [{ ...input, credential: await this.seal(input.credential, requestId), requestId }],
        requestEagerStart: this.eagerStart,
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        memo,
        typedSearchAttributes: [{ key: GatehouseSearch.status, value: 'running' }],
      });
      return { handle, fresh: true };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      return { handle: await this.rejoin(requestId, memo), fresh: false };
    }
  }

  private async rejoin(requestId: string, memo: { bodyHash?: string; keyTag: string }): Promise<RequestHandle> {
    const handle = this.client.workflow.getHandle(requestId);
    const { memo: first } = await handle.describe();
    if (first?.keyTag !== memo.keyTag || first?.bodyHash !== memo.bodyHash) {
      throw new GatewayError('Conflict', 'idempotency_key_reused', 'This request id was already used with a different request');
    }
    return handle;
  }

  /** The raw key never enters the workflow input: only its hash, sealed for this workflow id. */
  private seal(rawKey: string, workflowId: string): Promise<string> {
    if (!this.sealer) throw new Error('RequestStarter has no credential sealer (the credential public key)');
    return this.sealer.seal(rawKey, { workflowId, purpose: 'start' });
  }

  /**
   * The request's answer. The long poll is an idempotent read: a transient gRPC status (unavailable,
   * deadline, overload) is retried a few times rather than failing a request that is still running.
   * `signal` abandons the wait (the workflow runs on).
   */
  async result<T extends GatewayResponse | EmbeddingsResult = GatewayResponse>(handle: RequestHandle, signal?: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const poll = signal ? this.client.withAbortSignal(signal, () => handle.result()) : handle.result();
      try {
        return await this.untilClosed(poll as Promise<T>);
      } catch (err) {
        if (attempt >= RESULT_ATTEMPTS || !isRetryableRead(err) || signal?.aborted || this.closed) throw err;
        await sleep(100 * 3 ** (attempt - 1));
      }
    }
  }

  /**
   * Ends pending result waits before the Temporal connection closes under them. They belong to
   * callers who already hung up (the HTTP server closes first and waits for the others): closing the
   * connection would otherwise reject them as a dropped native promise, logged as a gateway fault.
   */
  close(): void {
    this.closed = true;
    for (const stop of this.waiting) stop();
    this.waiting.clear();
  }

  private untilClosed<T>(poll: Promise<T>): Promise<T> {
    poll.catch(() => {}); // once stopped, nobody listens to the abandoned poll's rejection
    if (this.closed) return Promise.reject(stopping());
    return new Promise<T>((resolve, reject) => {
      const onStop = () => reject(stopping());
      this.waiting.add(onStop);
      poll.then(resolve, reject).finally(() => this.waiting.delete(onStop));
    });
  }
}

/**
 * `req-<credential tag>-<caller's key>`: a caller's key names a request only within that credential
 * (one namespace per caller key, no cross-caller collision or probe); without a key, `req-<uuid>`.
 * Child workflows append `/webhook` or `/shadow`: '/' is never in a key, so they cannot collide.
 */
export function requestWorkflowId(credential: string, requestKey?: string): string {
  return requestKey === undefined ? `req-${randomUUID()}` : `req-${credentialTag(credential)}-${requestKey}`;
}

/** The memo's 16-hex-digit tag of the credential that started a request (never the key itself). */
export function credentialTag(credential: string): string {
  return digest(credential).slice(0, 16);
}

function digest(value: unknown): string {
  return createHash('sha256').update(typeof value === 'string' ? value : JSON.stringify(value)).digest('hex');
}
