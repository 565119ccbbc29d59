import { canonicalJson } from '../requests/canonical';
import { createHash } from 'node:crypto';
import type { Config } from './schema';

/**
 * What the change log records of a config file: the parts that decide who may do what (callers,
 * limits, models, providers) as a view with no secret in it, a content hash, and the differences
 * from the previous view as one line per change. Routes are not here: the route table has its own
 * change control (src/routes/control.ts). Pure.
 *
 * Keys: a key hash never enters the view; a short fingerprint of it does (the first 8 hex digits
 * of SHA-256 over the hash), enough to see "this caller's key changed", useless to anyone else.
 */
export type AccessView = Record<string, unknown>;

export function accessView(c: Config): AccessView {
  const callers = Object.fromEntries(
    Object.entries(c.callers).map(([name, k]) => {
      const { keyHash, previousKey, webhook, ...rest } = k;
      const view: Record<string, unknown> = { ...rest, key: keyHash ? fingerprint(keyHash) : k.demo ? 'demo' : null };
      if (previousKey) view.previousKey = `${fingerprint(previousKey.keyHash)} until ${previousKey.expiresAt}`;
      if (webhook) view.webhook = withoutUserinfo(webhook.url);
      return [name, view];
    }),
  );
  const providers = Object.fromEntries(
    Object.entries(c.providers).map(([name, p]) => [name, 'baseUrl' in p && p.baseUrl !== undefined ? { ...p, baseUrl: withoutUserinfo(p.baseUrl) } : p]),
  );
  return { callers, limits: c.limits, models: c.models, providers };
}

/** SHA-256 of the view's canonical JSON (keys sorted): equal for equal access, whatever the file's layout. */
export function viewHash(view: AccessView): string {
  return `sha256:${createHash('sha256').update(canonicalJson(view)).digest('hex')}`;
}

/** One line per difference, e.g. `callers.bob: added`, `limits.callerBudgets.bot.dailyUsd: 1 → 2`. */
export function diffViews(before: AccessView | undefined, after: AccessView): string[] {
  if (!before) return ['first recorded config'];
  const out: string[] = [];
  walk(before, after, [], out);
  return out;
}

function walk(a: unknown, b: unknown, path: string[], out: string[]): void {
  if (canonicalJson(a) === canonicalJson(b)) return;
  const at = path.join('.') || '(root)';
  if (a === undefined) return void out.push(`${at}: added`);
  if (b === undefined) return void out.push(`${at}: removed`);
  if (isRecord(a) && isRecord(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) walk(a[k], b[k], [...path, k], out);
    return;
  }
  out.push(`${at}: ${canonicalJson(a)} → ${canonicalJson(b)}`);
}

function fingerprint(keyHash: string): string {
  return `fp:${createHash('sha256').update(keyHash).digest('hex').slice(0, 8)}`;
}

/** A URL with any user:password@ removed (credentials do not belong in the change log). */
function withoutUserinfo(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

