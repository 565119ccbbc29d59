import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { AdminApi, fail, failed, render, table, type ApiResponse, type Out } from './adminApi';

export const ROUTES_USAGE = `gatehouse routes <command>   (GATEHOUSE_URL, GATEHOUSE_KEY = an admin key; show/history: reviewers too)

  show                                   the live route table, its version, the kill switch, pending changes
  apply FILE --reason text [--dry-run] [--based-on N]
                                         validate FILE (YAML: a routes: list, or the list itself), print the
                                         diff against the live table, store it as a new version
  history [--limit N]                    versions and every change (who, when, why)
  rollback VERSION --reason text         restore that version's table exactly, as a new version
  disable NAME --reason text [--route | --model]
                                         kill switch: new requests stop going there within 2 s
  enable NAME --reason text [--route | --model]
  approve ID [--comment text]            approve another admin's change to a protected route
  approve-route NAME [--comment text]    approve a gated route's new definition (approval:), changed by another admin
  queue                                  requests waiting in each route's queue now (admins)
  add --json to print the API's JSON
`;

const OPTIONS = {
  reason: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'based-on': { type: 'string' },
  limit: { type: 'string' },
  route: { type: 'boolean' },
  model: { type: 'boolean' },
  comment: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export async function runRoutesCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, out: Out = console.log, err: Out = console.error): Promise<number> {
  const { positionals, values: v } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  const [command, arg] = positionals;
  if (!command || command === 'help') return usage(err, command === 'help' ? 0 : 2);
  const api = AdminApi.fromEnv(env);
  if (!api) return fail(err, 'routes', 'set GATEHOUSE_KEY to an admin API key');
  const show = (res: ApiResponse, format: (j: any) => string[]) => render(res, format, { command: `routes ${command}`, json: v.json, out, err });
  switch (command) {
    case 'show':
      return show(await api.call('GET', '/admin/routes'), describeTable);
    case 'history':
      return show(await api.call('GET', `/admin/routes/history?limit=${Number(v.limit ?? 20)}`), describeHistory);
    case 'apply':
      if (!arg) return usage(err, 2);
      return apply(api, arg, v, out, err);
    case 'rollback':
      if (!arg || !Number.isInteger(Number(arg))) return fail(err, 'routes rollback', 'give the VERSION to restore (see `gatehouse routes history`)');
      return show(await api.call('POST', '/admin/routes/rollback', { version: Number(arg), reason: v.reason ?? '' }), describeChange);
    case 'disable':
    case 'enable': {
      if (!arg) return usage(err, 2);
      const kind = v.route ? 'route' : v.model ? 'model' : undefined;
      return show(await api.call('POST', `/admin/routes/${command}`, { target: arg, kind, reason: v.reason ?? '' }), describeSwitch);
    }
    case 'queue':
      return show(await api.call('GET', '/admin/queue'), describeQueue);
    case 'approve':
      if (!arg) return usage(err, 2);
      return show(await api.call('POST', `/admin/routes/changes/${encodeURIComponent(arg)}/approve`, v.comment ? { comment: v.comment } : {}), describeChange);
    case 'approve-route':
      if (!arg) return usage(err, 2);
      return show(await api.call('POST', `/admin/routes/${encodeURIComponent(arg)}/approve`, v.comment ? { comment: v.comment } : {}), describeApproval);
    default:
      return usage(err, 2);
  }
}

function describeApproval(j: any): string[] {
  return [j.changed ? `Route ${j.route} approved: it serves every request now (table v${j.version}).` : `Route ${j.route} was already approved; nothing changed.`];
}

/** Dry run first (so the diff printed is the diff applied), then the change on the same base version. */
async function apply(api: AdminApi, file: string, v: { reason?: string; 'dry-run'?: boolean; 'based-on'?: string; json?: boolean }, out: Out, err: Out): Promise<number> {
  let routes: unknown;
  try {
    const doc = parse(readFileSync(file, 'utf8')) as unknown;
    routes = Array.isArray(doc) ? doc : (doc as { routes?: unknown } | null)?.routes;
  } catch (e) {
    return fail(err, 'routes apply', `cannot read ${file}: ${(e as Error).message}`);
  }
  if (!Array.isArray(routes)) return fail(err, 'routes apply', `${file} holds no routes: list (YAML)`);
  const basedOn = v['based-on'] !== undefined ? Number(v['based-on']) : (await api.call('GET', '/admin/routes')).json?.version;
  const body = { routes, basedOn, reason: v.reason ?? '' };
  const preview = await api.call('PUT', '/admin/routes', { ...body, dryRun: true });
  if (preview.status >= 400) return failed(err, 'routes apply', preview);
  out(`Changes against the live table v${basedOn}:`);
  out(preview.json.diff_text.map((l: string) => `  ${l}`).join('\n'));
  if (v['dry-run'] || preview.json.status === 'unchanged') return 0;
  const res = await api.call('PUT', '/admin/routes', body);
  if (res.status >= 400) return failed(err, 'routes apply', res);
  out(v.json ? JSON.stringify(res.json, null, 2) : changeLine(res.json));
  return 0;
}

function describeTable(j: any): string[] {
  const lines = [`Route table v${j.version} (${j.created_at}, by ${j.author}: ${j.reason})`];
  const rows = [['route', 'task', 'primary', 'fallbacks', 'canary', 'shadow', 'stage']];
  for (const r of j.routes) {
    rows.push([
      `${r.name}${r.protected ? ' (protected)' : ''}`,
      r.match.task,
      r.primary,
      r.fallbacks.join(', ') || '-',
      r.canary ? `${r.canary.model} ${pct(r.canary.share)}` : '-',
      r.shadow ? `${r.shadow.model} ${pct(r.shadow.share)}` : '-',
      r.stage,
    ]);
  }
  lines.push(...table(rows));
  for (const d of j.disabled) lines.push(`DISABLED ${d.kind} ${d.name} by ${d.author} at ${d.at}: ${d.reason}`);
  for (const u of j.unapproved ?? []) lines.push(`PROPOSED route ${u.route} (v${u.since}, by ${u.proposed_by}): test callers and cleared risk only (approve: gatehouse routes approve-route ${u.route})`);
  for (const p of j.pending) lines.push(`PENDING change ${p.id} on v${p.based_on} by ${p.author}: ${p.reason} (approve: gatehouse routes approve ${p.id})`);
  return lines;
}

function describeHistory(j: any): string[] {
  const rows = [['#', 'at', 'author', 'action', 'target', 'version', 'reason']];
  for (const c of j.changes) rows.push([String(c.id), c.at, c.author, c.action, c.target ?? '', c.version ? `v${c.version}` : '', c.reason]);
  return [`Live: v${j.live}`, ...table(rows)];
}

function describeChange(j: any): string[] {
  return [...j.diff_text.map((l: string) => `  ${l}`), changeLine(j)];
}

function changeLine(j: any): string {
  if (j.status === 'pending_approval') return `Waiting for a second admin: gatehouse routes approve ${j.pending_id}`;
  if (j.status === 'unchanged') return `No changes; the live table stays v${j.version}.`;
  return `Applied: the live route table is now v${j.version}.`;
}

function describeSwitch(j: any): string[] {
  const what = `${j.kind} ${j.name}`;
  if (!j.changed) return [`${what} was already ${j.action}d; nothing changed.`];
  return [`${what} ${j.action}d (every gateway process within 2 s).`];
}

function describeQueue(j: any): string[] {
  if (j.total === 0) return ['No request is waiting in a queue.'];
  const rows = [['route', 'queued', 'oldest since'], ...j.routes.map((r: any) => [r.route, String(r.queued), r.oldest_since])];
  return [`${j.total}${j.truncated ? '+' : ''} request(s) waiting in a queue:`, ...table(rows)];
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

function usage(err: Out, code: number): number {
  err(ROUTES_USAGE);
  return code;
}
