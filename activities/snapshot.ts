import type { LiveSnapshot } from '../src/config/liveConfig';
import type { ActivityDeps } from './deps';

/** The config one request is prepared on: routes, models, callers, the kill switch, as of one instant. */
export type ConfigSnapshot = Omit<LiveSnapshot, 'version'> & { version?: number };

const NONE: ReadonlyMap<string, string> = new Map();

/**
 * Read the live config once. Admission, planning, the budget's cap and the answer check all use this
 * one snapshot, so a reload landing mid-request cannot make the plan disagree with the route chosen.
 */
export function takeSnapshot(deps: ActivityDeps): ConfigSnapshot {
  return deps.release?.snapshot() ?? { config: deps.config(), disabledRoutes: NONE, disabledModels: NONE, unapprovedRoutes: new Map() };
}
