import type { Risk } from '../config/routing';
import type { RouteConfig } from '../config/schema';

/** A gated route whose live definition no second admin has approved yet. */
export interface Unapproved {
  /** The admin whose change made this definition (an approver must be someone else). */
  proposedBy: string;
  /** The first route-table version with this definition. */
  since: number;
  /** The definition's hash: an approval names it, so a later edit needs approving again. */
  hash: string;
}

/** A route-table version as release control keeps it (newest first when listed). */
export interface VersionFacts {
  version: number;
  author: string;
  routes: readonly RouteConfig[];
}

/**
 * Pure: the gated routes (`approval:`) of the live table whose definition is not approved. A
 * definition is approved when an approval names its route and hash, or when it came from the config
 * file (`fileAuthor`: the file is deployed under its own change control). `versions` newest first,
 * the live one included; the proposer is the author of the oldest version in the unbroken run of
 * versions that carry the same definition.
 */
export function unapprovedRoutes(
  live: readonly RouteConfig[],
  versions: readonly VersionFacts[],
  approved: ReadonlySet<string>,
  hash: (r: RouteConfig) => string,
  fileAuthor: string,
): Map<string, Unapproved> {
  const out = new Map<string, Unapproved>();
  for (const r of live) {
    if (!r.approval) continue;
    const h = hash(r);
    if (approved.has(approvalKey(r.name, h))) continue;
    const origin = firstWith(r.name, h, versions, hash);
    if (!origin || origin.author === fileAuthor) continue;
    out.set(r.name, { proposedBy: origin.author, since: origin.version, hash: h });
  }
  return out;
}

export const approvalKey = (route: string, hash: string): string => `${route}\u0000${hash}`;

function firstWith(name: string, h: string, versions: readonly VersionFacts[], hash: (r: RouteConfig) => string): VersionFacts | undefined {
  let origin: VersionFacts | undefined;
  for (const v of versions) {
    const r = v.routes.find((x) => x.name === name);
    if (!r || hash(r) !== h) break;
    origin = v;
  }
  return origin;
}

/**
 * Pure: may this request use a gated route that is not approved? Its test callers may, and requests
 * at a risk level it is cleared for; high risk never.
 */
export function mayUseUnapproved(r: Pick<RouteConfig, 'approval' | 'testCallers'>, caller: string, risk: Risk): boolean {
  if (risk === 'high') return false;
  return r.testCallers.includes(caller) || (r.approval?.clearedRisk ?? []).some((x) => x === risk);
}
