import { fastifyCookie } from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { presentedKey, type AuthenticatedCaller, type CallerDirectory } from '../auth';
import type { RoleName } from '../config/schema';
import { GatewayError, unauthenticated } from '../errors';
import type { Refusal } from '../store/ledger';
import { toGatewayError } from './errorHandler';

/** Who may call a route: anyone, or a key holding (one of) these roles. */
export type RouteRole = 'public' | RoleName | readonly RoleName[];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Required on every route (see `registerGuard`): checked before the body is read. */
    role?: RouteRole;
    /** Routes that start a workflow: a caller whose rate limit is used up is refused here, before the start. */
    rateLimited?: boolean;
    /** A request without any key is let through when this says so (the embedded UI's codec). */
    keyless?: (req: FastifyRequest) => boolean;
    /** The console's routes (src/console): a session cookie stands for the key it was exchanged for. */
    session?: boolean;
  }
  interface FastifyRequest {
    /** Set by the guard on every route whose role is not `public`. */
    authenticated?: Authenticated;
  }
}

export interface Authenticated {
  caller: AuthenticatedCaller;
  /** The raw key, for the workflow start and the review Update (never logged, never stored raw). */
  credential: string;
}

export interface GuardDeps {
  callers: () => CallerDirectory;
  /** The limiter admission uses (peeked here, consumed there: never counted twice). */
  limits?: { refuseIfExhausted(caller: string, team: string): Promise<void> };
  /** Where refusals are counted (the ledger's `refusals` table). */
  refusals?: { refused(r: Refusal): void | Promise<void> };
  /** Where they are counted for Prometheus (src/metrics). */
  metrics?: { refused(r: Refusal): void };
  /** The console's sessions (src/console/sessions.ts): session id → the key it was exchanged for. */
  sessions?: { cookie: string; credential(id: string | undefined): string | undefined };
}

/**
 * The one role guard of the front door, an `onRequest` hook: it runs before the body is read, so a
 * request without a valid key costs a hash lookup, never a parse or a workflow. Every route must
 * declare `config.role`; registering one without it throws at startup. Cheap refusals (401, 403,
 * 429 over the rate limit) are counted in the ledger and logged, with the caller when known.
 */
export function registerGuard(app: FastifyInstance, deps: GuardDeps): void {
  app.decorateRequest('authenticated', undefined);
  app.addHook('onRoute', (route) => {
    if (route.config?.role === undefined) throw new Error(`route ${String(route.method)} ${route.url} declares no config.role (src/http/guard.ts)`);
  });
  app.addHook('onRequest', async (req) => {
    const { role, rateLimited, keyless, session } = req.routeOptions.config;
    // Unknown paths have no declaration: they end in the 404 handler without a body being parsed.
    if (role === undefined || role === 'public') return;
    let caller: AuthenticatedCaller | undefined;
    try {
      const key = presentedKey(req.headers) ?? (session ? sessionKey(deps, req) : undefined);
      if (!key && keyless?.(req)) return;
      if (!key && session) throw unauthenticated('not_signed_in', 'Not signed in to the console, or the session has expired: sign in again');
      caller = deps.callers().authenticateKey(key);
      requireRole(caller, typeof role === 'string' ? [role] : role);
      if (rateLimited) await deps.limits?.refuseIfExhausted(caller.name, caller.config.team);
      req.authenticated = { caller, credential: key! };
    } catch (err) {
      if (err instanceof GatewayError) countRefusal(deps, req, caller, err);
      throw err;
    }
  });
  // A body refused as too large once its caller authenticated (the parser runs after this guard):
  // counted and logged in that caller's name like the guard's own refusals. A refusal a workflow
  // made (its body was parsed) is in the ledger already.
  app.addHook('onError', async (req, _reply, err) => {
    if (!req.authenticated || req.body !== undefined) return;
    const refused = toGatewayError(err);
    if (refused.code === 'request_too_large') countRefusal(deps, req, req.authenticated.caller, refused);
  });
}

/** The guard's result on a route with a role; a route that declared `public` has none. */
export function authenticated(req: FastifyRequest): Authenticated {
  if (!req.authenticated) throw new GatewayError('Internal', 'internal_error', 'route has no authenticated caller');
  return req.authenticated;
}

/**
 * The key behind the request's console session cookie, if any. Read here from the header (the cookie
 * plugin's own hook runs after this one); the key is authenticated again like any presented key.
 */
function sessionKey(deps: GuardDeps, req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (!deps.sessions || !header) return undefined;
  return deps.sessions.credential(fastifyCookie.parse(header)[deps.sessions.cookie]);
}

function requireRole(who: AuthenticatedCaller, roles: readonly RoleName[]): void {
  if (roles.some((r) => who.config.roles.includes(r))) return;
  const code = `${roles.join('_or_')}_role_required`;
  throw new GatewayError('PolicyDenied', code, `${who.name} may not do this: it needs the ${roles.join(' or ')} role`);
}

function countRefusal(deps: GuardDeps, req: FastifyRequest, caller: AuthenticatedCaller | undefined, err: GatewayError): void {
  const refusal: Refusal = { caller: caller?.name ?? null, team: caller?.config.team ?? null, code: err.code, status: err.status };
  req.log.info({ ...refusal, method: req.method, route: req.routeOptions.url }, 'refused at the front door');
  for (const counter of [deps.refusals, deps.metrics]) {
    // Counting must never turn a 401 into a 500, nor hold the answer up.
    const failed = (e: unknown) => req.log.warn({ err: e }, 'could not count a refusal');
    try {
      Promise.resolve(counter?.refused(refusal)).catch(failed);
    } catch (e) {
      failed(e);
    }
  }
}
