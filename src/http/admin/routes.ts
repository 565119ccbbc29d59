import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Release } from '../../routes/release';
import type { ChangeResult } from '../../routes/control';
import type { HttpDeps } from '../server';
import { authenticated } from '../guard';
import { wakeQueued } from './queue';
import { ADMIN, STAFF, parseBody } from './access';

/**
 * The change-controlled route table and the kill switch:
 *   GET  /admin/routes                      live table, version, kill switch, pending changes
 *   PUT  /admin/routes                      {routes, basedOn, reason, dryRun?} → new version (or 202 pending)
 *   GET  /admin/routes/history              versions and the change log, newest first
 *   GET  /admin/routes/versions/:version    one version's table
 *   POST /admin/routes/rollback             {version, reason, basedOn?}
 *   POST /admin/routes/disable | enable     {target, kind?, reason}
 *   POST /admin/routes/changes/:id/approve  {comment?}   (a second admin)
 */
const ApplyBody = z.object({
  routes: z.array(z.unknown()),
  basedOn: z.number().int().nonnegative(),
  reason: z.string(),
  dryRun: z.boolean().optional(),
});
const RollbackBody = z.object({ version: z.number().int().positive(), reason: z.string(), basedOn: z.number().int().positive().optional() });
const SwitchBody = z.object({ target: z.string().min(1), kind: z.enum(['route', 'model']).optional(), reason: z.string() });
const ApproveBody = z.object({ comment: z.string().max(2000).optional() });

export function registerRouteAdmin(app: FastifyInstance, deps: HttpDeps, release: Release): void {
  const { control, store, live } = release;

  app.get('/admin/routes', { config: STAFF }, async () => {
    const { version } = await control.current();
    const v = await store.version(version);
    const snap = live.snapshot();
    return {
      object: 'gatehouse.route_table',
      version,
      created_at: v?.createdAt,
      author: v?.author,
      reason: v?.reason,
      routes: snap.config.routes,
      // Gated routes waiting for a second admin: only test callers and cleared risk levels reach them.
      unapproved: [...snap.unapprovedRoutes].map(([route, u]) => ({ route, proposed_by: u.proposedBy, since: u.since })),
      disabled: await store.disabled(),
      pending: (await store.pendingChanges()).map((p) => ({ id: p.id, based_on: p.basedOn, author: p.author, reason: p.reason, created_at: p.createdAt })),
    };
  });

  app.put('/admin/routes', { config: ADMIN }, async (req, reply) => {
    const who = authenticated(req).caller;
    const body = parseBody(ApplyBody, req.body);
    return changed(reply, await control.apply(body, who.name));
  });

  app.get<{ Querystring: { limit?: string } }>('/admin/routes/history', { config: STAFF }, async (req) => {
    const limit = Math.floor(Math.min(Math.max(Number(req.query.limit ?? 50) || 50, 1), 1000));
    const versions = (await store.versions(limit)).map(({ routes: _routes, ...v }) => v);
    return { object: 'gatehouse.route_history', live: live.snapshot().version, versions, changes: await store.changes(limit) };
  });

  app.get<{ Params: { version: string } }>('/admin/routes/versions/:version', { config: STAFF }, async (req) => {
    return { object: 'gatehouse.route_version', ...(await control.version(Number(req.params.version))) };
  });

  app.post('/admin/routes/rollback', { config: ADMIN }, async (req, reply) => {
    const who = authenticated(req).caller;
    const body = parseBody(RollbackBody, req.body);
    return changed(reply, await control.rollback(body.version, body.reason, who.name, body.basedOn));
  });

  for (const action of ['disable', 'enable'] as const) {
    app.post(`/admin/routes/${action}`, { config: ADMIN }, async (req) => {
      const who = authenticated(req).caller;
      const body = parseBody(SwitchBody, req.body);
      const result = await control.setEnabled(body.target, action === 'enable', body.reason, who.name, body.kind);
      // Requests queued behind the switch try again now, not at their next timer (best effort).
      if (action === 'enable') wakeQueued(deps).catch((err: unknown) => req.log.warn({ err }, 'waking queued requests failed'));
      return { object: 'gatehouse.kill_switch', action, ...result, disabled: await store.disabled() };
    });
  }

  app.post<{ Params: { name: string } }>('/admin/routes/:name/approve', { config: ADMIN }, async (req) => {
    const who = authenticated(req).caller;
    const body = parseBody(ApproveBody, req.body);
    return { object: 'gatehouse.route_approval', ...(await control.approveRoute(req.params.name, who.name, body.comment)) };
  });

  app.post<{ Params: { id: string } }>('/admin/routes/changes/:id/approve', { config: ADMIN }, async (req, reply) => {
    const who = authenticated(req).caller;
    const body = parseBody(ApproveBody, req.body);
    return changed(reply, await control.approve(Number(req.params.id), who.name, body.comment));
  });
}

/** 202 while a change waits for its second admin; 200 otherwise. */
function changed(reply: FastifyReply, r: ChangeResult) {
  if (r.status === 'pending_approval') void reply.status(202);
  return { object: 'gatehouse.route_change', status: r.status, version: r.version, pending_id: r.pendingId, diff: r.diff, diff_text: r.diffText };
}
