import type { ChatMessage } from '../config/api';
// Not '../cost': its prices load the provider registry and its SDKs, and this runs in every CPU-pool thread.
import { estimateTokens } from '../cost/tokens';
import { detectInMessage } from '../policy/messageText';
import type { Finding } from '../policy/sensitivity';

/**
 * The CPU-heavy part of admission, as one pure function over the caller's text: the prompt token
 * estimate and the sensitivity findings of each message. Both are linear in the input (bounded
 * tokenizer pieces, detectors checked with adversarial inputs of growing size), and the CPU pool
 * (cpuPool.ts) runs large inputs in a worker thread under a deadline so that even a constant factor
 * cannot hold the event loop.
 */
export interface PromptAnalysis {
  promptTokens: number;
  /**
   * Findings (kinds and offsets, never text) by message index, only for messages that have some:
   * sparse, so a prompt of 40k tiny messages does not cross the thread boundary as 40k empty arrays.
   */
  findings: Record<number, Finding[]>;
}

export function analyzePrompt(messages: readonly ChatMessage[]): PromptAnalysis {
  const findings: Record<number, Finding[]> = {};
  messages.forEach((m, i) => {
    const found = detectInMessage(m);
    if (found.length > 0) findings[i] = found;
  });
  return { promptTokens: estimateTokens(messages), findings };
}

/** Findings per message, in order (empty where none), as screening takes them. */
export function findingsPerMessage(analysis: PromptAnalysis, count: number): Finding[][] {
  return Array.from({ length: count }, (_, i) => analysis.findings[i] ?? []);
}
