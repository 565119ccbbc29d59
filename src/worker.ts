import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { TASK_QUEUE } from './temporal/contract';

export interface WorkerSetup {
  connection: NativeConnection;
  namespace: string;
  deps: ActivityDeps;
  taskQueue?: string;
  /** The payload codec: the same one the clients use. */
  dataConverter?: WorkerOptions['dataConverter'];
  /** Prebuilt bundle (tests build it once); otherwise `workflows/` is bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Workflows kept in memory; idle ones (e.g. waiting for review) are evicted beyond this. */
  maxCachedWorkflows?: number;
}

/** The one place that wires real clients into activities. */
export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  const source = setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath: require.resolve('../workflows') };
  return Worker.create({
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue ?? TASK_QUEUE,
    ...source,
    activities: createActivities(setup.deps),
    dataConverter: setup.dataConverter,
    // A request waiting on a provider holds a cached workflow; 1,000 is plenty for one process.
    maxCachedWorkflows: setup.maxCachedWorkflows ?? 1000,
  });
}
