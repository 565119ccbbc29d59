import type { ChatMessage } from '../config/api';
import { estimateTokens } from '../cost';
import { detectSensitive, type Finding } from '../policy/sensitivity';

/**
 * The CPU-heavy part of admission, as one pure function over the caller's text: the prompt token
 * estimate and the sensitivity findings of each message. Both are linear in the input (bounded
 * tokenizer pieces, detectors checked with adversarial inputs of growing size), and the CPU pool
 * (cpuPool.ts) runs large inputs in a worker thread under a deadline so that even a constant factor
 * cannot hold the event loop.
 */
export interface PromptAnalysis {
  promptTokens: number;
  /** Per message, in order: findings in its string content (kinds and offsets, never text). */
  findings: Finding[][];
}

export function analyzePrompt(messages: readonly ChatMessage[]): PromptAnalysis {
  return {
    promptTokens: estimateTokens(messages),
    findings: messages.map((m) => (typeof m.content === 'string' ? detectSensitive(m.content) : [])),
  };
}
