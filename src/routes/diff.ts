import type { RouteConfig } from '../config/schema';

/**
 * Pure: what a route-table change does, readable by a person approving it. Routes are matched by
 * name; changed fields are listed by path with before → after (lists compare whole: their order
 * matters for fallbacks); a changed route order is said too (the first matching route wins).
 */
export interface FieldChange {
  path: string;
  /** undefined: the field was absent. */
  before?: unknown;
  after?: unknown;
}

export interface RouteDiff {
  added: string[];
  removed: string[];
  changed: Array<{ route: string; changes: FieldChange[] }>;
  /** Set when the routes present on both sides are in another order. */
  order?: { before: string[]; after: string[] };
}

export function diffRouteTables(before: readonly RouteConfig[], after: readonly RouteConfig[]): RouteDiff {
  const old = new Map(before.map((r) => [r.name, r]));
  const now = new Map(after.map((r) => [r.name, r]));
  const diff: RouteDiff = {
    added: after.filter((r) => !old.has(r.name)).map((r) => r.name),
    removed: before.filter((r) => !now.has(r.name)).map((r) => r.name),
    changed: [],
  };
  for (const r of after) {
    const prev = old.get(r.name);
    if (!prev) continue;
    const changes = fieldChanges(prev, r, '');
    if (changes.length > 0) diff.changed.push({ route: r.name, changes });
  }
  const keptBefore = before.map((r) => r.name).filter((n) => now.has(n));
  const keptAfter = after.map((r) => r.name).filter((n) => old.has(n));
  if (keptBefore.join('\n') !== keptAfter.join('\n')) diff.order = { before: keptBefore, after: keptAfter };
  return diff;
}

export function isEmptyDiff(d: RouteDiff): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0 && !d.order;
}

/** Names of the routes a change touches (added, removed or changed). */
export function touchedRoutes(d: RouteDiff): string[] {
  return [...d.added, ...d.removed, ...d.changed.map((c) => c.route)];
}

/** The diff as lines, the way the CLI prints it and the API returns it (`diffText`). */
export function formatDiff(d: RouteDiff, after: readonly RouteConfig[] = []): string[] {
  if (isEmptyDiff(d)) return ['no changes'];
  const lines: string[] = [];
  for (const name of d.added) {
    const r = after.find((x) => x.name === name);
    lines.push(`+ route ${name}${r ? ` (task ${r.match.task}, primary ${r.primary})` : ''}`);
  }
  for (const name of d.removed) lines.push(`- route ${name}`);
  for (const c of d.changed) {
    lines.push(`~ route ${c.route}`);
    for (const f of c.changes) lines.push(`    ${f.path}: ${show(f.before)} → ${show(f.after)}`);
  }
  if (d.order) lines.push(`  order: ${d.order.before.join(', ')} → ${d.order.after.join(', ')}`);
  return lines;
}

function fieldChanges(a: unknown, b: unknown, path: string): FieldChange[] {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => fieldChanges(a[k], b[k], path ? `${path}.${k}` : k));
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  return [{ path, ...(a === undefined ? {} : { before: a }), ...(b === undefined ? {} : { after: b }) }];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (v === undefined) return '(none)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}
