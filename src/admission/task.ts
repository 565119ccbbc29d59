import type { ChatMessage } from '../config/api';
import { analyzePrompt, type PromptAnalysis } from './analyze';

/** What the analyzer's worker threads run (loaded by worker.js). */
export default function analyzeTask(messages: ChatMessage[]): PromptAnalysis {
  return analyzePrompt(messages);
}
