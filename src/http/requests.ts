import { Client, WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import { createHash, randomUUID } from 'node:crypto';
import { GatewayError } from '../errors';
import type { AiRequestInput, GatewayResponse } from '../temporal/contract';
import { TASK_QUEUE, WORKFLOW_TYPE } from '../temporal/contract';
import { GatehouseSearch } from '../temporal/searchAttributes';

/** Starts (or rejoins) the request workflow. Shared by the HTTP front door and the TS client. */
export class RequestStarter {
  constructor(
    private readonly client: Client,
    private readonly taskQueue = TASK_QUEUE,
  ) {}

  /**
   * A repeated idempotency key rejoins the first run (running or finished) and never starts a
   * second one; the same key with a different body is a 409, not a silent replay.
   */
  async start(input: Omit<AiRequestInput, 'requestId'>, team: string, idempotencyKey?: string): Promise<WorkflowHandle> {
    const requestId = requestWorkflowId(input.caller, idempotencyKey);
    const bodyHash = hashBody(input);
    try {
      return await this.client.workflow.start(WORKFLOW_TYPE, {
        taskQueue: this.taskQueue,
        workflowId: requestId,
        args: [{ ...input, requestId } satisfies AiRequestInput],
        requestEagerStart: true,
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        memo: { bodyHash },
        typedSearchAttributes: [
          { key: GatehouseSearch.caller, value: input.caller },
          { key: GatehouseSearch.team, value: team },
          { key: GatehouseSearch.task, value: input.task },
          { key: GatehouseSearch.status, value: 'running' },
        ],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      return this.rejoin(requestId, bodyHash);
    }
  }

  private async rejoin(requestId: string, bodyHash: string): Promise<WorkflowHandle> {
    const handle = this.client.workflow.getHandle(requestId);
    const { memo } = await handle.describe();
    if (memo?.bodyHash !== bodyHash) {
      throw new GatewayError('Conflict', 'idempotency_key_reused', 'This Idempotency-Key was already used with a different request body');
    }
    return handle;
  }

  result(handle: WorkflowHandle): Promise<GatewayResponse> {
    return handle.result() as Promise<GatewayResponse>;
  }
}

/** Keys are scoped per caller, so one caller can never rejoin (and read) another's request. */
export function requestWorkflowId(caller: string, idempotencyKey?: string): string {
  return idempotencyKey ? `req-${caller}-${idempotencyKey}` : `req-${randomUUID()}`;
}

function hashBody(input: Omit<AiRequestInput, 'requestId'>): string {
  return createHash('sha256').update(JSON.stringify([input.task, input.body])).digest('hex');
}
