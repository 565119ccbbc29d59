import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { Piscina } from 'piscina';
import { GatewayError } from '../errors';
import { TASKS, type TaskInput, type TaskName, type TaskOutput } from './tasks';

export interface CpuPoolOptions {
  /** Inputs of at most this many characters run inline (see INLINE_LIMIT). */
  inlineLimit?: number;
  /** Wall-clock limit of one task in a worker thread, queue wait included. */
  deadlineMs?: number;
  /** Worker threads at most (default: cores - 1, at least 1). */
  threads?: number;
}

/**
 * Measured (2 shared cores, prose with an email and a phone number), prompt analysis inline vs in a
 * worker thread: 1k chars 0.4 vs 1.0 ms, 4k 0.6 vs 1.2 ms, 16k 2.1 vs 2.1 ms, 64k 5.2 vs 5.6 ms,
 * 1M 87 vs 142 ms. The hop costs ~0.6 ms, so up to 16k characters (~2 ms, ~8 ms for the worst
 * adversarial text) run inline; above that the event loop is worth more than the hop.
 */
export const INLINE_LIMIT = 16 * 1024;
/** Well under the admission local activity's 5 s start-to-close, so the refusal is ours, not a timeout. */
export const DEFAULT_DEADLINE_MS = 3000;

/** A thread's heap may grow to this (it costs ~80 MB of RSS when warm: the tokenizer's tables, Ajv). */
export const HEAP_LIMIT_MB = 512;
/** An idle thread ends after this long: it is ~80 MB of RSS that small requests never need. */
export const IDLE_MS = 60_000;

/** A task that ran past its deadline (or its heap); its thread was terminated. */
export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
}

/**
 * Runs CPU-heavy work on caller input (tasks.ts) off the event loop when the input is large, under a
 * deadline that terminates the thread: no request can hold the loop that serves HTTP and runs
 * workflow tasks, and none can keep a core busy past the deadline.
 */
export class CpuPool {
  private pool?: Piscina;
  private readonly inlineLimit: number;
  readonly deadlineMs: number;

  constructor(private readonly opts: CpuPoolOptions = {}) {
    this.inlineLimit = opts.inlineLimit ?? INLINE_LIMIT;
    this.deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  }

  /** `size`: a measure the task's work is linear in (characters); `forceThread` for work no size predicts. */
  async run<K extends TaskName>(name: K, input: TaskInput<K>, size: number, forceThread = false): Promise<TaskOutput<K>> {
    const task = TASKS[name] as (i: TaskInput<K>) => TaskOutput<K>;
    if (size <= this.inlineLimit && !forceThread) return task(input);
    if (this.inlineLimit === Infinity) return task(input);
    const pool = this.start();
    try {
      return (await pool.run(input, { name, signal: AbortSignal.timeout(this.deadlineMs) })) as TaskOutput<K>;
    } catch (err) {
      const outOfMemory = (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      if ((err as Error).name !== 'AbortError' && !outOfMemory) throw err;
      this.warm(pool); // the thread was terminated: load its replacement before the next request
      throw new DeadlineExceeded(outOfMemory ? `${name} ran out of its ${HEAP_LIMIT_MB} MB heap` : `${name} did not finish within ${this.deadlineMs} ms`);
    }
  }

  /**
   * Starts the pool on the first large input and loads the code into a thread (~0.5 s built, ~1.3 s
   * under tsx: Ajv and the tokenizer's tables). A thread costs ~80 MB of RSS, so none is kept while
   * no large input comes: they end after IDLE_MS (a gateway of small requests stays under 300 MB).
   */
  start(): Piscina {
    if (this.pool) return this.pool;
    this.pool = new Piscina({
      // Built: tasks.js itself. From sources: worker.js, which gives the thread tsx to load tasks.ts.
      filename: join(__dirname, extname(__filename) === '.ts' ? 'worker.js' : 'tasks.js'),
      minThreads: 0,
      idleTimeout: IDLE_MS,
      maxThreads: this.opts.threads ?? Math.max(1, availableParallelism() - 1),
      // Memory is bounded like time: a task past it ends its thread and the request is refused.
      resourceLimits: { maxOldGenerationSizeMb: HEAP_LIMIT_MB },
    });
    this.warm(this.pool);
    return this.pool;
  }

  private warm(pool: Piscina): void {
    pool.run([], { name: 'analyze' }).catch(() => {});
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
    this.pool = undefined;
  }
}

/** Everything inline: for activity deps wired without a pool (unit tests); the gateway always wires one. */
export const INLINE_ONLY = new CpuPool({ inlineLimit: Infinity });

/** Admission's refusal when its work hits the deadline: a decision (4xx, not retried), so a replay refuses again quickly. */
export function tooComplex(deadlineMs: number): GatewayError {
  return new GatewayError('InvalidRequest', 'request_too_complex', `The request could not be screened within ${deadlineMs} ms; send less text or a simpler response_format`, { status: 413 });
}

/** Settings from the environment (read by the gateway's wiring). */
export function cpuPoolOptionsFromEnv(env: NodeJS.ProcessEnv): CpuPoolOptions {
  const n = (v: string | undefined) => (v && Number.isFinite(Number(v)) && Number(v) > 0 ? Number(v) : undefined);
  return { deadlineMs: n(env.GATEHOUSE_CPU_DEADLINE_MS), inlineLimit: n(env.GATEHOUSE_CPU_INLINE_CHARS), threads: n(env.GATEHOUSE_CPU_THREADS) };
}
