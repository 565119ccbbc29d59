/**
 * The other half of "zero lost": every accepted request is one completed `aiRequest` workflow.
 * Counted by status through the dev server's visibility, which is eventually consistent, so it is
 * polled until nothing runs and the counts stop moving.
 */
import { Client, Connection } from '@temporalio/client';

export interface WorkflowCounts {
  completed: number;
  running: number;
  /** Failed, terminated, timed out or cancelled. */
  ended: number;
}

const STATUSES = { completed: 'Completed', running: 'Running' } as const;
const STABLE_MS = 1_000;
const MAX_WAIT_MS = 30_000;

export async function countRequestWorkflows(address: string, namespace = 'default'): Promise<WorkflowCounts> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace });
    const count = async (filter: string) => (await client.workflow.count(`WorkflowType = "aiRequest"${filter}`)).count;
    const read = async (): Promise<WorkflowCounts> => {
      const [all, completed, running] = await Promise.all([
        count(''),
        count(` AND ExecutionStatus = "${STATUSES.completed}"`),
        count(` AND ExecutionStatus = "${STATUSES.running}"`),
      ]);
      return { completed, running, ended: all - completed - running };
    };
    return await untilStable(read);
  } finally {
    await connection.close();
  }
}

async function untilStable(read: () => Promise<WorkflowCounts>): Promise<WorkflowCounts> {
  const until = Date.now() + MAX_WAIT_MS;
  let last = await read();
  let stableSince = Date.now();
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await read();
    if (now.completed !== last.completed || now.running !== last.running || now.ended !== last.ended) {
      last = now;
      stableSince = Date.now();
    } else if (now.running === 0 && Date.now() - stableSince >= STABLE_MS) {
      return now;
    }
  }
  return last;
}
