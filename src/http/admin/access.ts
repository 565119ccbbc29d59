import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { AuthenticatedCaller, CallerDirectory } from '../../auth';
import { formatIssues } from '../../config';
import type { RoleName } from '../../config/schema';
import { GatewayError, invalidRequest } from '../../errors';

/**
 * Who may use the release-control API: changes (routes, rollback, kill switch, approvals) need the
 * admin role; reading (tables, history, catalogue, canary reports) needs admin or reviewer, since
 * reviewers judge canaries. Callers get 403, unknown keys 401.
 */
export function requireRole(callers: () => CallerDirectory, req: FastifyRequest, roles: readonly RoleName[]): AuthenticatedCaller {
  const who = callers().authenticate(req.headers.authorization);
  if (!roles.some((r) => who.config.roles.includes(r))) {
    const code = roles.length === 1 ? `${roles[0]}_role_required` : `${roles.join('_or_')}_role_required`;
    throw new GatewayError('PolicyDenied', code, `${who.name} may not do this: it needs the ${roles.join(' or ')} role`);
  }
  return who;
}

export const ADMIN: readonly RoleName[] = ['admin'];
export const STAFF: readonly RoleName[] = ['admin', 'reviewer'];

/** A request body through its zod schema; 400 listing every problem by path. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw invalidRequest('invalid_request', formatIssues(parsed.error.issues).join('; '), parsed.error.issues[0]?.path.join('.'));
  return parsed.data;
}
