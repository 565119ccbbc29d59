import { parseArgs } from 'node:util';
import { USAGE_BY, usageCsv, usageRows, type UsageReport } from '../reports/usage';
import { AdminApi, fail, failed, table, type Out } from './adminApi';

export const USAGE_USAGE = `gatehouse usage [--by team|caller|task|route|model] [--since 7d] [--format table|csv|json]
                (GATEHOUSE_KEY = an admin or auditor key; GATEHOUSE_URL, default http://127.0.0.1:8080)

  usage and cost from the ledger, per group and per UTC day, then the group's total (day "all"):
  requests, errors, blocks by reason, tokens in/out, cost (USD), p50/p95 latency (ms, refusals
  left out), fallbacks. --by: default team. --since: a duration (default 7d) or an ISO date.
`;

const FORMATS = ['table', 'csv', 'json'] as const;

export async function runUsageCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, out: Out = console.log, err: Out = console.error): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { by: { type: 'string' }, since: { type: 'string' }, format: { type: 'string' } } });
  if (positionals.length > 0) return usageError(err, `unexpected argument "${positionals[0]}"`);
  if (values.by !== undefined && !(USAGE_BY as readonly string[]).includes(values.by)) return usageError(err, `--by must be one of ${USAGE_BY.join(', ')}`);
  const format = values.format ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) return usageError(err, `--format must be one of ${FORMATS.join(', ')}`);
  const api = AdminApi.fromEnv(env);
  if (!api) return fail(err, 'usage', 'set GATEHOUSE_KEY to an admin or auditor API key');
  const query = new URLSearchParams({ by: values.by ?? 'team', since: values.since ?? '7d' });
  const res = await api.call('GET', `/admin/usage?${query}`);
  if (res.status >= 400) return failed(err, 'usage', res);
  out(formatUsage(res.json as UsageReport, format as (typeof FORMATS)[number]));
  return 0;
}

/** The report in the chosen format (csv ends in a newline; the table has a title line). */
export function formatUsage(r: UsageReport, format: (typeof FORMATS)[number]): string {
  if (format === 'json') return JSON.stringify(r, null, 2);
  if (format === 'csv') return usageCsv(r).trimEnd();
  const title = `Usage by ${r.by} from ${r.since} to ${r.until}: ${r.total.requests} requests, ${r.total.costUsd.toFixed(6)} USD`;
  return [title, '', ...(r.groups.length ? table(usageRows(r)) : ['(no requests in this window)'])].join('\n');
}

function usageError(err: Out, message: string): number {
  err(`gatehouse usage: ${message}. See \`gatehouse usage --help\`.`);
  return 2;
}
