import type { z } from 'zod';
import { formatIssues } from '../../config';
import type { RoleName } from '../../config/schema';
import { invalidRequest } from '../../errors';

/**
 * Who may use the release-control API (declared per route as `config.role`, checked by the guard in
 * ../guard.ts before the body is read): changes (routes, rollback, kill switch, approvals) need the
 * admin role; reading (tables, history, catalogue, canary reports) needs admin or reviewer, since
 * reviewers judge canaries. Callers get 403, unknown keys 401.
 */
export const ADMIN = { role: ['admin'] as readonly RoleName[] };
export const STAFF = { role: ['admin', 'reviewer'] as readonly RoleName[] };
/** Usage and cost reports: admins, and auditors (a read-only role for finance and ops, nothing else). */
export const AUDIT = { role: ['admin', 'auditor'] as readonly RoleName[] };

/** A request body through its zod schema; 400 listing every problem by path. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw invalidRequest('invalid_request', formatIssues(parsed.error.issues).join('; '), parsed.error.issues[0]?.path.join('.'));
  return parsed.data;
}

/** A query string through its zod schema; 400 `invalid_query` naming the parameter. */
export function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.infer<T> {
  const parsed = schema.safeParse(query ?? {});
  if (!parsed.success) throw invalidRequest('invalid_query', formatIssues(parsed.error.issues).join('; '), parsed.error.issues[0]?.path.join('.'));
  return parsed.data;
}
