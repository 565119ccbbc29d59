import type { Logger } from 'pino';
import { withShareZero } from '../canary/rollback';
import type { LiveConfig } from '../config/liveConfig';
import type { RouteConfig } from '../config/schema';
import { GatewayError, invalidRequest, notFound, policyDenied } from '../errors';
import type { ChangeAction, ReleaseStore, RouteVersion, TargetKind } from '../store/releaseStore';
import { diffRouteTables, formatDiff, isEmptyDiff, touchedRoutes, type RouteDiff } from './diff';
import { validateRouteTable } from './validate';

/** What a change did: applied as a new version, parked for approval, nothing to do, or a dry run. */
export interface ChangeResult {
  status: 'applied' | 'pending_approval' | 'unchanged' | 'dry_run';
  /** The live version after the change. */
  version: number;
  pendingId?: number;
  diff: RouteDiff;
  diffText: string[];
}

export interface ApplyRequest {
  routes: unknown;
  /** The version this change was made from: 409 when another change came first. */
  basedOn: number;
  reason: string;
  dryRun?: boolean;
}

/** The author of automatic rollbacks in the change log. */
export const AUTO_ROLLBACK_AUTHOR = 'gatehouse-auto-rollback';

/**
 * Changes to the live route table and the kill switch: validated, diffed, recorded with author,
 * time and reason, then picked up by this process at once (and by every other within the reload
 * interval). Authorization (admin role) is the caller's job: the HTTP layer.
 */
export class RouteControl {
  constructor(
    private readonly store: ReleaseStore,
    private readonly live: LiveConfig,
    private readonly logger: Logger,
  ) {}

  async apply(req: ApplyRequest, author: string): Promise<ChangeResult> {
    const reason = requireReason(req.reason);
    const current = await this.current();
    if (req.basedOn !== current.version) throw stale(req.basedOn, current.version);
    const routes = this.validated(req.routes);
    const diff = diffRouteTables(current.routes, routes);
    const base = { version: current.version, diff, diffText: formatDiff(diff, routes) };
    if (isEmptyDiff(diff)) return { status: 'unchanged', ...base };
    if (req.dryRun) return { status: 'dry_run', ...base };
    if (needsApproval(diff, current.routes, routes)) {
      const pending = await this.store.propose({ basedOn: current.version, routes, author, reason, details: { diff: base.diffText } });
      this.logger.info({ author, pending: pending.id, routes: touchedRoutes(diff) }, 'route change waits for a second admin');
      return { status: 'pending_approval', pendingId: pending.id, ...base };
    }
    return this.commit({ basedOn: current.version, routes, author, reason, action: 'apply' }, diff);
  }

  /** A second admin (not the author) approves a pending change; it must still fit the live version. */
  async approve(id: number, approver: string, comment?: string): Promise<ChangeResult> {
    const pending = await this.store.pendingChange(id);
    if (!pending) throw notFound('change_not_found', `No pending change ${id}`);
    if (pending.status !== 'pending') throw new GatewayError('Conflict', 'change_not_pending', `change ${id} is already ${pending.status}`);
    if (pending.author === approver) throw policyDenied('second_admin_required', `change ${id} was proposed by ${approver}; another admin must approve it`);
    const current = await this.current();
    if (pending.basedOn !== current.version) throw stale(pending.basedOn, current.version);
    const routes = this.validated(pending.routes);
    const diff = diffRouteTables(current.routes, routes);
    const reason = comment ? `${pending.reason} (approved by ${approver}: ${comment})` : pending.reason;
    const v = await this.store.approve(id, approver, { basedOn: current.version, routes, author: pending.author, reason, action: 'apply', details: { diff: formatDiff(diff, routes), pending: id } });
    return this.done(v, diff, routes);
  }

  /**
   * A second admin approves a gated route's live definition (`approval:`): from then on it serves
   * every request, high risk included. The author of the definition may not approve it.
   */
  async approveRoute(name: string, approver: string, comment?: string): Promise<{ route: string; version: number; changed: boolean }> {
    await this.live.refresh();
    const snap = this.live.snapshot();
    const route = snap.config.routes.find((r) => r.name === name);
    if (!route) throw notFound('route_not_found', `No route "${name}" in the live table`);
    if (!route.approval) throw invalidRequest('route_not_gated', `route "${name}" has no approval gate (\`approval:\`): its changes serve at once`);
    const u = snap.unapprovedRoutes.get(name);
    if (!u) return { route: name, version: snap.version, changed: false };
    if (u.proposedBy === approver) throw policyDenied('second_admin_required', `route "${name}" was changed by ${approver} (v${u.since}); another admin must approve it`);
    const reason = `route ${name} (v${u.since}, by ${u.proposedBy}) approved${comment ? `: ${comment}` : ''}`;
    const changed = await this.store.approveRoute({ route: name, hash: u.hash, version: snap.version, approver, reason });
    await this.live.refresh();
    this.logger.info({ route: name, approver, proposedBy: u.proposedBy, version: snap.version }, 'gated route approved');
    return { route: name, version: snap.version, changed };
  }

  /**
   * Restores an earlier version's table exactly, as a new version. It needs no second approval:
   * the table was live (and approved) before, and a rollback is what an incident calls for.
   */
  async rollback(to: number, reasonText: string, author: string, basedOn?: number): Promise<ChangeResult> {
    const reason = requireReason(reasonText);
    const target = await this.store.version(to);
    if (!target) throw notFound('version_not_found', `No route table version ${to}`);
    const current = await this.current();
    if (basedOn !== undefined && basedOn !== current.version) throw stale(basedOn, current.version);
    const routes = this.validated(target.routes);
    const diff = diffRouteTables(current.routes, routes);
    if (isEmptyDiff(diff)) return { status: 'unchanged', version: current.version, diff, diffText: formatDiff(diff) };
    return this.commit({ basedOn: current.version, routes: target.routes, author, reason: `rollback to v${to}: ${reason}`, action: 'rollback', details: { to } }, diff);
  }

  /** Automatic rollback: the route's canary or shadow share to zero, unless it already is. */
  async dropShare(route: string, which: 'canary' | 'shadow', why: string): Promise<ChangeResult | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.current();
      const r = current.routes.find((x) => x.name === route);
      if (!r?.[which] || r[which]!.share === 0) return undefined;
      const routes = withShareZero(current.routes, route, which);
      const diff = diffRouteTables(current.routes, routes);
      try {
        const result = await this.commit({ basedOn: current.version, routes, author: AUTO_ROLLBACK_AUTHOR, reason: `${which} of ${route} (${r[which]!.model}) rolled back: ${why}`, action: 'auto-rollback' }, diff);
        this.logger.warn({ route, which, model: r[which]!.model, version: result.version, why }, 'automatic rollback: candidate share set to 0');
        return result;
      } catch (err) {
        if (!(err instanceof GatewayError && err.code === 'stale_route_table')) throw err;
        await this.live.refresh(); // someone else changed the table meanwhile: look again
      }
    }
    return undefined;
  }

  /** Kill switch. `kind` may be omitted when the name is only a route or only a model. */
  async setEnabled(name: string, enabled: boolean, reasonText: string, author: string, kind?: TargetKind): Promise<{ kind: TargetKind; name: string; changed: boolean }> {
    const reason = requireReason(reasonText);
    const resolved = kind ?? (await this.kindOf(name));
    const config = this.live.config();
    const exists = resolved === 'route' ? config.routes.some((r) => r.name === name) : config.models[name] !== undefined;
    if (!exists && !enabled) throw notFound(`${resolved}_not_found`, `No ${resolved} "${name}"`);
    const changed = await this.store.setDisabled(resolved, name, !enabled, author, reason);
    if (changed) this.logger.warn({ kind: resolved, name, author, reason }, enabled ? 'kill switch released' : 'kill switch: disabled');
    await this.live.refresh();
    return { kind: resolved, name, changed };
  }

  async current(): Promise<{ version: number; routes: RouteConfig[] }> {
    await this.live.refresh(); // decide on the newest table, not on one up to a poll interval old
    const snap = this.live.snapshot();
    return { version: snap.version, routes: snap.config.routes };
  }

  async version(n: number): Promise<RouteVersion> {
    const v = await this.store.version(n);
    if (!v) throw notFound('version_not_found', `No route table version ${n}`);
    return v;
  }

  private async kindOf(name: string): Promise<TargetKind> {
    const config = this.live.config();
    const isRoute = config.routes.some((r) => r.name === name) || (await this.store.disabled()).some((d) => d.kind === 'route' && d.name === name);
    const isModel = config.models[name] !== undefined;
    if (isRoute && isModel) throw invalidRequest('ambiguous_target', `"${name}" is both a route and a model: say which (kind: route | model)`, 'kind');
    if (!isRoute && !isModel) throw notFound('target_not_found', `No route or model "${name}"`);
    return isRoute ? 'route' : 'model';
  }

  private validated(raw: unknown): RouteConfig[] {
    const check = validateRouteTable(raw, this.live.base);
    if (check.ok) return check.routes;
    throw new GatewayError('InvalidRequest', 'invalid_route_table', `Invalid route table:\n${check.problems.map((p) => `  - ${p}`).join('\n')}`, {
      meta: { problems: check.problems },
    });
  }

  private async commit(v: { basedOn: number; routes: unknown; author: string; reason: string; action: Extract<ChangeAction, 'apply' | 'rollback' | 'auto-rollback'>; details?: unknown }, diff: RouteDiff): Promise<ChangeResult> {
    const routes = v.routes as RouteConfig[];
    const stored = await this.store.commit({ ...v, details: { ...(v.details as object), diff: formatDiff(diff, routes) } });
    return this.done(stored, diff, routes);
  }

  private async done(v: RouteVersion, diff: RouteDiff, routes: RouteConfig[]): Promise<ChangeResult> {
    await this.live.refresh();
    this.logger.info({ version: v.version, author: v.author, action: v.action, reason: v.reason }, 'route table changed');
    return { status: 'applied', version: v.version, diff, diffText: formatDiff(diff, routes) };
  }
}

/** A change touching a route that is protected before or after it needs a second admin. */
export function needsApproval(diff: RouteDiff, before: readonly RouteConfig[], after: readonly RouteConfig[]): boolean {
  const isProtected = (name: string) => [...before, ...after].some((r) => r.name === name && r.protected);
  return touchedRoutes(diff).some(isProtected);
}

function requireReason(reason: string | undefined): string {
  const r = reason?.trim();
  if (!r) throw invalidRequest('reason_required', 'Say why: every change needs a reason', 'reason');
  return r;
}

function stale(basedOn: number, live: number): GatewayError {
  return new GatewayError('Conflict', 'stale_route_table', `the change is based on route table version ${basedOn}, but version ${live} is live: fetch it again (GET /admin/routes) and re-apply`);
}
