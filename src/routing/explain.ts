import type { Candidate, PlanRequest, RoutePlan } from './planRoute';

/** "task=summarize risk=low sensitivity=internal latency=realtime → route s: a; fallback b; skipped c: …" */
export function explainPlan(req: PlanRequest, route: string, stage: RoutePlan['stage'], candidates: Candidate[], skipped: string[]): string {
  const [first, ...rest] = candidates.map((c) => c.model);
  const factors = `task=${req.task} risk=${req.risk} sensitivity=${req.dataClass} latency=${req.latency}`;
  let line = `${factors} → route ${route}: ${first}${stage === 'canary' ? ' (canary)' : ''}`;
  if (req.forcePrivate) line += ' [private only]';
  if (req.downgrade) line += ' [soft budget: cheaper first]';
  if (rest.length) line += `; fallback ${rest.join(', ')}`;
  if (skipped.length) line += `; skipped ${skipped.join(', ')}`;
  return line;
}
