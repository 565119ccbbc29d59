import { parseArgs } from 'node:util';
import type { CanaryReport } from '../canary/report';
import type { SideStats } from '../canary/stats';
import type { ModelFeedback } from '../feedback/report';
import { AdminApi, fail, render, table, type Out } from './adminApi';

export const CANARY_USAGE = `gatehouse canary report ROUTE [--since 1h] [--json]   (GATEHOUSE_KEY = an admin or reviewer key)

  primary vs candidate side by side: requests, error rate, validation pass rate, p50/p95 latency,
  cost per request, agreement (shadow), reviewer edit/reject rates. --since: a duration (default 24h)
  or an ISO date.
`;

export async function runCanaryCommand(argv: string[], env: NodeJS.ProcessEnv = process.env, out: Out = console.log, err: Out = console.error): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { since: { type: 'string' }, json: { type: 'boolean' } } });
  const [command, route] = positionals;
  if (command !== 'report' || !route) {
    err(CANARY_USAGE);
    return command === undefined || command === 'help' ? 0 : 2;
  }
  const api = AdminApi.fromEnv(env);
  if (!api) return fail(err, 'canary', 'set GATEHOUSE_KEY to an admin or reviewer API key');
  const query = values.since ? `?since=${encodeURIComponent(values.since)}` : '';
  return render(await api.call('GET', `/admin/canary/${encodeURIComponent(route)}${query}`), formatReport, { command: 'canary report', json: values.json, out, err });
}

/** The report as a table: one column per side (split primary, canary, shadow primary, shadow candidate). */
export function formatReport(r: CanaryReport & { feedback?: ModelFeedback[] }): string[] {
  const lines = [`Route ${r.route} since ${r.since} (route table v${r.routeTableVersion})`];
  lines.push(`  canary: ${r.canary ? `${r.canary.model}, share ${pct(r.canary.share)} by ${r.canary.by}` : 'none'}`);
  lines.push(`  shadow: ${r.shadow ? `${r.shadow.model}, share ${pct(r.shadow.share)}, compared ${r.shadow.compare}` : 'none'}`);
  const cols: Array<[string, SideStats]> = [
    [`primary ${r.split.primaryModel}`, r.split.primary],
    [`canary ${r.split.candidateModel ?? '-'}`, r.split.candidate],
    ['shadow: primary', r.shadowPairs.primary],
    [`shadow: ${r.shadowPairs.candidateModel ?? 'candidate'}`, r.shadowPairs.candidate],
  ];
  const row = (label: string, f: (s: SideStats) => string) => [label, ...cols.map(([, s]) => f(s))];
  const a = r.shadowPairs.agreement;
  lines.push(
    '',
    ...table([
      ['', ...cols.map(([name]) => name)],
      row('requests', (s) => String(s.requests)),
      row('error rate', (s) => pctOrNa(s.errorRate)),
      row('validation pass rate', (s) => pctOrNa(s.validationPassRate)),
      row('p50 latency (ms)', (s) => numOrNa(s.p50LatencyMs)),
      row('p95 latency (ms)', (s) => numOrNa(s.p95LatencyMs)),
      row('cost / request (USD)', (s) => (s.costPerRequestUsd === null ? 'n/a' : s.costPerRequestUsd.toFixed(6))),
      row('review edit rate', (s) => pctOrNa(s.reviewEditRate)),
      row('review reject rate', (s) => pctOrNa(s.reviewRejectRate)),
    ]),
    '',
    `agreement (shadow pairs): ${a.mean === null ? 'n/a' : `mean ${a.mean.toFixed(3)}, min ${a.min!.toFixed(3)} over ${a.scored} of ${r.shadowPairs.pairs} pairs`}`,
    `end-user feedback: ${r.feedback?.length ? '' : 'none'}`,
    ...(r.feedback ?? []).map((f) => `  ${f.model}: ${f.total} (accepted ${pct(f.rates.accepted)}, edited ${pct(f.rates.edited)}, rejected ${pct(f.rates.rejected)}, mean score ${f.meanScore === null ? 'n/a' : f.meanScore.toFixed(2)})`),
  );
  return lines;
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

function pctOrNa(x: number | null): string {
  return x === null ? 'n/a' : pct(x);
}

function numOrNa(x: number | null): string {
  return x === null ? 'n/a' : String(Math.round(x));
}
