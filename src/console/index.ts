import { randomBytes } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RoleName } from '../config/schema';
import { authenticated } from '../http/guard';
import { registerReviewAdmin } from '../http/admin/reviews';
import { registerUsageReport } from '../http/admin/usage';
import { registerRouteAdmin } from '../http/admin/routes';
import { registerReleaseViews } from '../http/admin/canary';
import type { HttpDeps } from '../http/server';
import { recentRequests } from './recent';
import { SESSION_COOKIE, type SessionStore } from './sessions';
import { SECURITY_HEADERS, loadAssets, registerPages } from './static';

export { SessionStore, SESSION_COOKIE } from './sessions';

/** The Temporal dev server's UI: where request links point unless GATEHOUSE_TEMPORAL_UI_URL says otherwise. */
export const DEFAULT_TEMPORAL_UI = 'http://localhost:8233';

/** Who may sign in: staff keys. Callers get 403 from the guard, before any session exists. */
const STAFF_ROLES: readonly RoleName[] = ['reviewer', 'admin', 'auditor'];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface ConsoleOptions {
  sessions: SessionStore;
  /** Base URL of the Temporal UI for request links; the namespace comes from the Temporal client. */
  temporalUiUrl: string;
}

/**
 * The console (docs/console.md): the page under /console and its JSON API under /console/api. The
 * API is the admin API itself (the same handlers, registered again under /console/api/admin/…, so a
 * decision is the same Update the CLI sends) plus sign-in, sign-out and a recent-requests list. Every
 * route goes through the one role guard, which here also accepts the session cookie
 * (`config.session`); every state-changing call also needs the CSRF token (@fastify/csrf-protection,
 * its secret in an HttpOnly cookie, the token bound to the session id).
 */
export function registerConsole(app: FastifyInstance, deps: HttpDeps, opts: ConsoleOptions): void {
  const assets = loadAssets();
  void app.register(
    async (scope) => {
      await scope.register(fastifyCookie);
      await scope.register(fastifyCsrf, {
        cookieKey: 'gatehouse_console_csrf',
        cookieOpts: { path: '/console', sameSite: 'strict', httpOnly: true },
        getUserInfo: csrfUser,
        csrfOpts: { hmacKey: randomBytes(32) },
      });
      scope.addHook('onRoute', (route) => {
        route.config = { ...route.config, session: true };
      });
      scope.addHook('onRequest', (req, reply, done) => (SAFE_METHODS.has(req.method) ? done() : scope.csrfProtection(req, reply, done)));
      scope.addHook('onSend', async (req, reply) => {
        void reply.headers(SECURITY_HEADERS);
        if (req.url.startsWith('/console/api')) void reply.header('cache-control', 'no-store');
      });
      registerPages(scope, assets);
      await scope.register(async (api) => registerApi(api, deps, opts), { prefix: '/api' });
    },
    { prefix: '/console' },
  );
}

function registerApi(api: FastifyInstance, deps: HttpDeps, opts: ConsoleOptions): void {
  const { sessions } = opts;
  const STAFF = { config: { role: STAFF_ROLES } };
  const namespace = deps.starter.client.options.namespace;

  // A CSRF token before sign-in (the sign-in is a state-changing call too).
  api.get('/csrf', { config: { role: 'public' } }, async (req, reply) => ({ csrf_token: reply.generateCsrf({ userInfo: csrfUser(req) }) }));

  // Sign-in: the key comes once, in the Authorization header, checked by the guard like any key.
  api.post('/session', STAFF, async (req, reply) => {
    const { caller, credential } = authenticated(req);
    const id = sessions.create(credential);
    void reply.setCookie(SESSION_COOKIE, id, { path: '/console', httpOnly: true, sameSite: 'strict', secure: req.protocol === 'https', maxAge: Math.floor(sessions.maxMs / 1000) });
    req.log.info({ who: caller.name }, 'console sign-in');
    return sessionView(req, reply, id, namespace, opts);
  });

  api.get('/session', STAFF, async (req, reply) => sessionView(req, reply, csrfUser(req), namespace, opts));

  api.delete('/session', STAFF, async (req, reply) => {
    sessions.delete(req.cookies[SESSION_COOKIE]);
    void reply.clearCookie(SESSION_COOKIE, { path: '/console' });
    return { object: 'gatehouse.console.session', signed_in: false };
  });

  api.get('/requests', { config: { role: ['admin'] as readonly RoleName[] } }, async () => ({ object: 'list', data: await recentRequests(deps.starter) }));

  // The admin API, the same handlers and role declarations, under /console/api/admin/….
  registerReviewAdmin(api, deps);
  registerUsageReport(api, deps);
  if (deps.release) {
    registerRouteAdmin(api, deps, deps.release);
    registerReleaseViews(api, deps, deps.release);
  }
}

/** What a CSRF token is bound to: the session id, or (before sign-in) a fixed word; it must not be empty. */
function csrfUser(req: FastifyRequest): string {
  return req.cookies[SESSION_COOKIE] || 'signed-out';
}

/** Who is signed in, a CSRF token bound to `csrfFor` (the session id), and where request links point. */
function sessionView(req: FastifyRequest, reply: FastifyReply, csrfFor: string, namespace: string, opts: ConsoleOptions) {
  const { caller } = authenticated(req);
  return {
    object: 'gatehouse.console.session',
    signed_in: true,
    who: caller.name,
    team: caller.config.team,
    roles: caller.config.roles.filter((r) => STAFF_ROLES.includes(r)),
    csrf_token: reply.generateCsrf({ userInfo: csrfFor }),
    idle_timeout_s: Math.floor(opts.sessions.idleMs / 1000),
    temporal: { ui_url: opts.temporalUiUrl.replace(/\/+$/, ''), namespace },
  };
}
