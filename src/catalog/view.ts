import type { Config, ModelConfig } from '../config/schema';
import { isRoutable, modelStatus } from './status';

/** One catalogue entry as `GET /admin/models` and `gatehouse models` show it. */
export interface CatalogEntry {
  name: string;
  provider: string;
  upstream: string;
  /** `chat` or `embedding`: which endpoint the model answers. */
  mode: string;
  /** Effective status now (a passed retirement date makes it `retired`). */
  status: string;
  routable: boolean;
  /** Set while the kill switch holds the model: the reason given. */
  disabled: string | null;
  owner: string | null;
  purpose: string | null;
  limitations: string[];
  dataClasses: string[];
  private: boolean;
  latency: string;
  contextWindow: number | null;
  retirementDate: string | null;
  /** Routes naming the model, with the role it plays there (primary, fallback, batch, canary, shadow, cheaper). */
  usedBy: Array<{ route: string; as: string }>;
}

/** Pure: the catalogue at `now`, models in name order. */
export function catalog(config: Pick<Config, 'models' | 'routes'>, disabledModels: ReadonlyMap<string, string>, now: number): CatalogEntry[] {
  return Object.entries(config.models)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, m]) => catalogEntry(name, m, config.routes, disabledModels.get(name), now));
}

export function catalogEntry(name: string, m: ModelConfig, routes: Config['routes'], disabled: string | undefined, now: number): CatalogEntry {
  return {
    name,
    provider: m.provider,
    upstream: m.upstream,
    mode: m.mode,
    status: modelStatus(m, now),
    routable: isRoutable(m, now) && disabled === undefined,
    disabled: disabled ?? null,
    owner: m.owner ?? null,
    purpose: m.purpose ?? null,
    limitations: m.limitations,
    dataClasses: m.dataClasses,
    private: m.private,
    latency: m.latency,
    contextWindow: m.contextWindow ?? null,
    retirementDate: m.retirementDate ?? null,
    usedBy: routes.flatMap((r) => rolesIn(name, r)),
  };
}

function rolesIn(model: string, r: Config['routes'][number]): Array<{ route: string; as: string }> {
  const roles: string[] = [];
  if (r.primary === model) roles.push('primary');
  if (r.fallbacks.includes(model)) roles.push('fallback');
  if (r.batch.includes(model)) roles.push('batch');
  if (r.canary?.model === model) roles.push('canary');
  if (r.shadow?.model === model) roles.push('shadow');
  if (r.cheaperOption === model) roles.push('cheaper');
  return roles.map((as) => ({ route: r.name, as }));
}
