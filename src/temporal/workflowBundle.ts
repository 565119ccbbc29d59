import { bundleWorkflowCode } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { PRIVATE_FILE_MODE, privateDir } from '../store/privateFiles';
import { FAILURE_CONVERTER_PATH } from './dataConverter';
import { WORKFLOW_INTERCEPTOR_MODULE } from '../tracing/temporal';

const WORKFLOWS = join(__dirname, '..', '..', 'workflows');

/**
 * Bundles `workflows/` in a short-lived child process and returns the bundle's path. Bundling
 * (webpack) in the worker's own process leaves ~130 MB of heap behind for its whole life; in a
 * child that memory is returned when the child exits.
 */
export async function buildWorkflowBundle(outFile: string, opts: { tracing?: boolean } = {}): Promise<string> {
  privateDir(dirname(outFile));
  // From the build (dist/, plain JS) node runs this file as is; from the sources it needs tsx.
  const script = [__filename, outFile, ...(opts.tracing ? [TRACING_FLAG] : [])];
  const args = __filename.endsWith('.js') ? script : ['--import', 'tsx', ...script];
  await promisify(execFile)(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  return outFile;
}

/**
 * Our workflow modules, evaluated once when the worker's V8 context is made instead of once per
 * workflow run (the SDK then shares and deep-freezes them). They hold no per-run state: only
 * functions and constant tables, which lint enforces (eslint.config.mjs, NO_SHARED_STATE). Measured:
 * ~0.6 ms less workflow-thread CPU per request (docs/performance.md).
 */
export const PRELOADED = [require.resolve(WORKFLOWS)];

/** `node workflowBundle.js out.js --tracing`: the bundle for a worker with tracing on (docs/operations.md). */
const TRACING_FLAG = '--tracing';

async function writeBundle(outFile: string, tracing: boolean): Promise<void> {
  const quiet = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };
  // With tracing on, the OpenTelemetry workflow interceptors are part of the workflow code; off, absent.
  const workflowInterceptorModules = tracing ? [WORKFLOW_INTERCEPTOR_MODULE] : [];
  // Failures are encoded by the gateway's converter inside workflows too (see failureConverter.ts).
  const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve(WORKFLOWS), failureConverterPath: FAILURE_CONVERTER_PATH, workflowInterceptorModules, preloadModules: PRELOADED, logger: quiet });
  writeFileSync(outFile, code, { mode: PRIVATE_FILE_MODE });
  chmodSync(outFile, PRIVATE_FILE_MODE); // an older bundle there may have been readable
}

if (require.main === module) {
  writeBundle(process.argv[2] ?? 'workflow-bundle.js', process.argv.includes(TRACING_FLAG)).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
