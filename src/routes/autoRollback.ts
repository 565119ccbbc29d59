import type { Logger } from 'pino';
import { rollbackDecision, settingSince, type RollbackDecision } from '../canary/rollback';
import { comparisonSides, countsForCanary, requestOutcome, type SideOutcome } from '../canary/samples';
import { parseDuration } from '../config/duration';
import type { LiveConfig } from '../config/liveConfig';
import type { RouteConfig } from '../config/schema';
import type { ComparisonStore } from '../store/comparisons';
import type { ReleaseStore } from '../store/releaseStore';
import type { ChangeResult, RouteControl } from './control';

export type CandidateKind = 'canary' | 'shadow';

/** How many past versions are searched for the start of the current canary/shadow setting. */
const VERSIONS_LOOKED_AT = 50;

/**
 * Automatic rollback: after each canary request and each shadow comparison, the candidate's
 * outcomes in the route's window (and since its current setting) go through the pure
 * `rollbackDecision`; past a threshold the share drops to zero as a recorded change. Runs off the
 * request path (setImmediate), at most one pending check per route and kind.
 */
export class AutoRollback {
  private readonly scheduled = new Set<string>();

  constructor(
    private readonly store: ReleaseStore,
    private readonly comparisons: ComparisonStore,
    private readonly control: RouteControl,
    private readonly live: LiveConfig,
    private readonly logger: Logger,
  ) {}

  afterOutcome(route: string, which: CandidateKind): void {
    const key = `${which}:${route}`;
    if (this.scheduled.has(key)) return;
    this.scheduled.add(key);
    setImmediate(() => {
      this.scheduled.delete(key);
      this.check(route, which).catch((err) => this.logger.error({ err, route, which }, 'automatic rollback check failed'));
    });
  }

  /** Decides now; returns the change when it rolled back. */
  async check(route: string, which: CandidateKind): Promise<ChangeResult | undefined> {
    const block = this.live.config().routes.find((r) => r.name === route)?.[which];
    if (!block?.rollback || block.share === 0) return undefined;
    const decision = await this.decide(route, which);
    return decision.rollback ? this.control.dropShare(route, which, decision.reason) : undefined;
  }

  async decide(route: string, which: CandidateKind): Promise<RollbackDecision> {
    const rule = this.live.config().routes.find((r) => r.name === route)?.[which]?.rollback;
    if (!rule) return { rollback: false, outcomes: 0 };
    const since = new Date(Date.now() - parseDuration(rule.window)).toISOString();
    const versions = (await this.store.versions(VERSIONS_LOOKED_AT)).map((v) => ({ version: v.version, routes: v.routes as RouteConfig[] }));
    const minVersion = settingSince(versions, route, (r) => r[which]);
    return rollbackDecision(await this.outcomes({ route, since, minVersion }, which), rule);
  }

  private async outcomes(w: { route: string; since: string; minVersion: number }, which: CandidateKind): Promise<SideOutcome[]> {
    if (which === 'canary') return (await this.comparisons.requests(w, 'canary')).filter(countsForCanary).map(requestOutcome);
    return (await this.comparisons.comparisons(w)).map((c) => comparisonSides(c).candidate);
  }
}
