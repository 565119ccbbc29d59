import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { TASK_QUEUE } from './temporal/contract';
import type { Tracing } from './tracing';
import { WORKFLOW_INTERCEPTOR_MODULE, workerTracing } from './tracing/temporal';
import { PRELOADED } from './temporal/workflowBundle';

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
  /** Workflow tasks in progress at once (at most maxCachedWorkflows). */
  maxWorkflowTasks?: number;
  /** Traces (src/tracing): activity spans and the workflow spans' sink; the bundle must be built with tracing. */
  tracing?: Tracing;
  /** How long a stopping worker lets the calls it holds finish before cancelling them (GATEHOUSE_SHUTDOWN_GRACE_MS less a margin). */
  shutdownGraceMs?: number;
}

/**
 * A request's workflow task stays open while its local activities run (the whole provider call with
 * `providerCall: local`), and eager start needs a free slot, else the task goes the long way through
 * the task queue. The SDK's default of 40 sent part of a 50-request load that way; 200 measured
 * ~7% more requests/s and ~16% less dev-server CPU per request at concurrency 50 (30 s runs, 6 vs 4).
 */
const MAX_WORKFLOW_TASKS = 200;

/** The one place that wires real clients into activities. */
export async function createWorker(setup: WorkerSetup): Promise<Worker> {
  // A request waiting on a provider holds a cached workflow; 1,000 is plenty for one process.
  const maxCachedWorkflows = setup.maxCachedWorkflows ?? 1000;
  const maxWorkflowTasks = Math.min(setup.maxWorkflowTasks ?? MAX_WORKFLOW_TASKS, maxCachedWorkflows);
  const source = setup.workflowBundle ? { workflowBundle: setup.workflowBundle } : { workflowsPath: require.resolve('../workflows'), bundlerOptions: { preloadModules: PRELOADED } };
  const traced = workerTracing(setup.tracing);
  // Bundled here (no prebuilt bundle): the workflow interceptors go in with the workflows.
  if (setup.tracing && !setup.workflowBundle) traced.interceptors = { ...traced.interceptors, workflowModules: [WORKFLOW_INTERCEPTOR_MODULE] };
  return Worker.create({
    ...traced,
    connection: setup.connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue ?? TASK_QUEUE,
    ...source,
    activities: createActivities(setup.deps),
    dataConverter: setup.dataConverter,
    maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: maxWorkflowTasks,
    // Each of those tasks may be running a local provider call.
    maxConcurrentLocalActivityExecutions: maxWorkflowTasks,
    // A stop drains: the provider calls in flight finish and their requests complete here (the SDK's default, 0, cancels them at once).
    shutdownGraceTime: setup.shutdownGraceMs ?? 0,
  });
}
