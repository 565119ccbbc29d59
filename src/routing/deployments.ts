import type { Deployment, BalanceStrategy } from '../config/deployments';
import type { DataClass } from '../config/routing';
import type { Skip } from './skips';
import { stableShare } from './stableShare';

/** What the gateway knows of a deployment's recent load (src/balance/): read when planning. */
export interface DeploymentLoad {
  /** Calls running on it now (across processes when Redis is configured). */
  inFlight: number;
  /** Moving average of its recent call latency (time to first token when streamed); absent: not measured yet. */
  latencyMs?: number;
  /** Requests and tokens started on it in the last minute. */
  rpm: number;
  tpm: number;
}

/** The breaker and load key of one deployment: `model@deployment`. */
export function deploymentKey(model: string, deployment?: string): string {
  return deployment ? `${model}@${deployment}` : model;
}

export interface DeploymentQuery {
  model: string;
  requestId: string;
  dataClass: DataClass;
  /** Prompt plus answer tokens this request may use (for `tpm`). */
  tokens: number;
  strategy: BalanceStrategy;
  isAvailable: (key: string) => boolean;
  load?: (key: string) => DeploymentLoad | undefined;
}

/**
 * Pure: the model's deployments this request may use, in the order to try them (failover runs
 * down the list before the route's next model), and why the others are passed over.
 */
export function orderDeployments(deployments: readonly Deployment[], q: DeploymentQuery): { order: Deployment[]; skipped: Skip[] } {
  const skipped: Skip[] = [];
  const eligible: Deployment[] = [];
  for (const d of deployments) {
    const why = deploymentSkip(d, q);
    if (why) skipped.push({ model: deploymentKey(q.model, d.name), ...why });
    else eligible.push(d);
  }
  return { order: byStrategy(eligible, q), skipped };
}

function deploymentSkip(d: Deployment, q: DeploymentQuery): Omit<Skip, 'model'> | undefined {
  if (d.dataClasses && !d.dataClasses.includes(q.dataClass)) return { reason: 'data_class', detail: q.dataClass };
  const key = deploymentKey(q.model, d.name);
  if (!q.isAvailable(key)) return { reason: 'circuit_open' };
  const load = q.load?.(key);
  if (load && d.rpm !== undefined && load.rpm >= d.rpm) return { reason: 'at_capacity', detail: `${load.rpm}/${d.rpm} rpm` };
  if (load && d.tpm !== undefined && load.tpm + q.tokens > d.tpm) return { reason: 'at_capacity', detail: `${load.tpm}+${q.tokens}/${d.tpm} tpm` };
  return undefined;
}

/** Heaviest first, file order on ties: the order after the strategy's own pick. */
const byWeight = (list: Deployment[]) => list.map((d, i) => ({ d, i })).sort((a, b) => b.d.weight - a.d.weight || a.i - b.i).map(({ d }) => d);

function byStrategy(list: Deployment[], q: DeploymentQuery): Deployment[] {
  if (list.length < 2) return list;
  const weighted = byWeight(list);
  if (q.strategy === 'weighted') return weightedPick(weighted, stableShare(`deployment:${q.requestId}:${q.model}`));
  // Unmeasured latency counts as 0: a new deployment gets traffic and so a measurement.
  const score = q.strategy === 'least-busy' ? (d: Deployment) => q.load?.(deploymentKey(q.model, d.name))?.inFlight ?? 0 : (d: Deployment) => q.load?.(deploymentKey(q.model, d.name))?.latencyMs ?? 0;
  return weighted.map((d, i) => ({ d, i, s: score(d) })).sort((a, b) => a.s - b.s || a.i - b.i).map(({ d }) => d);
}

/** The deployment at point `u` in [0, 1) of the cumulative weights goes first; the rest by weight. */
export function weightedPick(list: Deployment[], u: number): Deployment[] {
  const total = list.reduce((s, d) => s + d.weight, 0);
  let acc = 0;
  const i = list.findIndex((d) => (acc += d.weight / total) > u);
  const pick = i < 0 ? list.length - 1 : i;
  return [list[pick]!, ...list.filter((_, j) => j !== pick)];
}
