import { z } from 'zod';
import { referenceIssues } from '../config/references';
import { RouteSchema, type Config, type RouteConfig } from '../config/schema';

/** A route table as the admin API takes it: the config file's `routes:` list, same schema. */
export const RouteTableSchema = z.array(RouteSchema).min(1, 'the route table needs at least one route');

export type RouteTableCheck = { ok: true; routes: RouteConfig[] } | { ok: false; problems: string[] };

/**
 * Pure: a proposed route table checked exactly like the config file's `routes:` (the same zod
 * schema), then cross-checked against the rest of the live config (models, callers' tasks and
 * allowlists, limits, reviewers). Every problem is listed by path, e.g. `routes.0.primary: unknown model "x"`.
 */
export function validateRouteTable(raw: unknown, base: Config): RouteTableCheck {
  const parsed = RouteTableSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map((i) => problem(['routes', ...i.path], i.message)) };
  const issues = referenceIssues({ ...base, routes: parsed.data });
  if (issues.length > 0) return { ok: false, problems: issues.map((i) => problem(i.path, i.message)) };
  return { ok: true, routes: parsed.data };
}

function problem(path: readonly PropertyKey[], message: string): string {
  return `${path.map(String).join('.')}: ${message}`;
}
