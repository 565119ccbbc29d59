import { z } from 'zod';
import { DataClassSchema } from './routing';

const Name = z.string().regex(/^[a-zA-Z0-9][\w.-]*$/, 'must be a simple name (letters, digits, . _ -)');

/**
 * One place a catalogue model runs: the same model on two Azure regions and on OpenAI, or three
 * vLLM replicas. A deployment inherits the model's approval, data classes and every other trait;
 * `dataClasses` may only narrow them (a provider not cleared for restricted data, say).
 */
export const DeploymentSchema = z.strictObject({
  /** Unique within the model: named in the plan, the history, the ledger and the response. */
  name: Name,
  provider: Name,
  upstream: z.string().min(1),
  /** Share of traffic under `weighted` (relative to the other deployments); tie-break elsewhere. */
  weight: z.number().positive().default(1),
  /** Capacity: at this many requests (or tokens) in the last minute the deployment is passed over. */
  rpm: z.number().int().positive().optional(),
  tpm: z.number().int().positive().optional(),
  /** Narrows the model's `dataClasses` for this deployment only. */
  dataClasses: z.array(DataClassSchema).min(1).optional(),
});

/** How a request picks among a model's deployments (src/routing/deployments.ts). */
export const BalanceStrategySchema = z.enum(['weighted', 'least-busy', 'lowest-latency']);

/** Merged into ModelSchema. */
export const ModelDeploymentFields = {
  deployments: z.array(DeploymentSchema).min(1).optional(),
  strategy: BalanceStrategySchema.default('weighted'),
};

/** A model with `deployments` needs no `provider`/`upstream` of its own: it takes its first deployment's. */
export function withDeploymentDefaults(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const m = raw as Record<string, unknown>;
  const first = Array.isArray(m.deployments) ? (m.deployments[0] as Record<string, unknown> | undefined) : undefined;
  if (!first || typeof first !== 'object') return raw;
  return { ...m, provider: m.provider ?? first.provider, upstream: m.upstream ?? first.upstream };
}

export type Deployment = z.infer<typeof DeploymentSchema>;
export type BalanceStrategy = z.infer<typeof BalanceStrategySchema>;
