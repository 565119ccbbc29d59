import type { RouteConfig } from '../config/schema';
import type { Candidate, PlanRequest, RoutePlan } from './planRoute';
import { priorityNote, priorityRule } from './priority';

/** "task=summarize risk=low sensitivity=internal latency=realtime → route s: a; fallback b; skipped c: …" */
export function explainPlan(req: PlanRequest, route: Pick<RouteConfig, 'name' | 'priorities'>, stage: RoutePlan['stage'], candidates: Candidate[], skipped: string[]): string {
  const [first, ...rest] = candidates.map((c) => (c.deployment ? `${c.model}@${c.deployment}` : c.model));
  // `normal` is every request's default: named only when declared otherwise.
  const priority = req.priority && req.priority !== 'normal' ? ` priority=${req.priority}` : '';
  const factors = `task=${req.task} risk=${req.risk} sensitivity=${req.dataClass} latency=${req.latency}${priority}`;
  let line = `${factors} → route ${route.name}: ${first}${stage === 'canary' ? ' (canary)' : ''}`;
  if (req.forcePrivate) line += ' [private only]';
  if (req.downgrade) line += ' [soft budget: cheaper first]';
  line += priorityNote(req.priority, priorityRule(route, req.priority));
  if (rest.length) line += `; fallback ${rest.join(', ')}`;
  if (skipped.length) line += `; skipped ${skipped.join(', ')}`;
  return line;
}
