import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import type { ChatMessage } from '../config/api';
import { GatewayError } from '../errors';
import { analyzePrompt, type PromptAnalysis } from './analyze';

export interface AnalyzerOptions {
  /** Prompts whose JSON is at most this many characters are analyzed inline (see INLINE_LIMIT). */
  inlineLimit?: number;
  /** Wall-clock limit of one analysis in a worker thread, queue wait included. */
  deadlineMs?: number;
  /** Worker threads at most (default: cores - 1, at least 1). */
  threads?: number;
}

/**
 * Measured (2 shared cores, prose with an email and a phone number): inline vs worker thread
 * 1k chars 0.4 vs 1.0 ms, 4k 0.6 vs 1.2 ms, 16k 2.1 vs 2.1 ms, 64k 5.2 vs 5.6 ms, 1M 87 vs 142 ms.
 * The hop costs ~0.6 ms, so up to 16k characters (~2 ms, ~8 ms for the worst adversarial text)
 * run inline; above that the event loop is worth more than the hop.
 */
export const INLINE_LIMIT = 16 * 1024;
/** Well under the admission local activity's 5 s start-to-close, so the refusal is ours, not a timeout. */
export const DEFAULT_DEADLINE_MS = 3000;

/**
 * Runs prompt analysis (token estimate, sensitivity findings) off the event loop for large inputs,
 * under a deadline that terminates the thread. Past the deadline the request is refused with 413
 * `request_too_complex`: a decision, not retried, so a replay after a crash refuses it again quickly.
 */
export class PromptAnalyzer {
  private pool?: Piscina;
  private readonly inlineLimit: number;
  readonly deadlineMs: number;

  constructor(private readonly opts: AnalyzerOptions = {}) {
    this.inlineLimit = opts.inlineLimit ?? INLINE_LIMIT;
    this.deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
  }

  /** `size`: the messages' JSON length, which the work is linear in. */
  async analyze(messages: readonly ChatMessage[], size: number): Promise<PromptAnalysis> {
    if (size <= this.inlineLimit) return analyzePrompt(messages);
    const pool = this.start();
    try {
      return (await pool.run(messages, { signal: AbortSignal.timeout(this.deadlineMs) })) as PromptAnalysis;
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
      this.warm(pool); // the thread was terminated: load its replacement before the next request
      throw tooComplex(this.deadlineMs);
    }
  }

  /**
   * Starts the pool and loads the code into a thread now: a cold thread takes ~1.3 s (tsx and the
   * tokenizer's tables), which must not count against a request's deadline.
   */
  start(): Piscina {
    if (this.pool) return this.pool;
    this.pool = new Piscina({
      filename: join(__dirname, 'worker.js'),
      minThreads: 1,
      maxThreads: this.opts.threads ?? Math.max(1, availableParallelism() - 1),
    });
    this.warm(this.pool);
    return this.pool;
  }

  private warm(pool: Piscina): void {
    pool.run([]).catch(() => {});
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
    this.pool = undefined;
  }
}

/** Everything inline: for activity deps wired without a pool (unit tests); the gateway always wires one. */
export const INLINE_ONLY = new PromptAnalyzer({ inlineLimit: Infinity });

export function tooComplex(deadlineMs: number): GatewayError {
  return new GatewayError('InvalidRequest', 'request_too_complex', `The prompt could not be screened within ${deadlineMs} ms; send less text`, { status: 413 });
}

/** Settings from the environment (the worker wiring reads them; 0 threads is not allowed). */
export function analyzerOptionsFromEnv(env: NodeJS.ProcessEnv): AnalyzerOptions {
  const n = (v: string | undefined) => (v && Number.isFinite(Number(v)) && Number(v) > 0 ? Number(v) : undefined);
  return { deadlineMs: n(env.GATEHOUSE_ADMISSION_DEADLINE_MS), inlineLimit: n(env.GATEHOUSE_ADMISSION_INLINE_CHARS), threads: n(env.GATEHOUSE_ADMISSION_THREADS) };
}
