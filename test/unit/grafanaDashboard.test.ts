import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth';
import { parseConfigObject } from '../../src/config';
import { GatewayMetrics } from '../../src/metrics/gatewayMetrics';

const DASHBOARD = join(__dirname, '../../ops/grafana/gatehouse-dashboard.json');

/** PromQL words that are not series: aggregation modifiers, set and vector-matching operators. */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/**
 * The series names a PromQL expression reads: identifiers outside strings, label matchers `{…}`,
 * range selectors `[…]` and grouping lists, that are not function calls or keywords.
 */
export function seriesNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+[-0-9a-z]+/gi, ' ');
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const after = bare.slice(m.index! + m[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

/** Every PromQL expression of the dashboard: panel targets (rows' panels too) and template-variable queries. */
function expressions(dashboard: any): string[] {
  const panels = (dashboard.panels as any[]).flatMap((p) => [p, ...(p.panels ?? [])]);
  const targets = panels.flatMap((p) => (p.targets ?? []).map((t: any) => t.expr as string));
  const variables = (dashboard.templating?.list ?? [])
    .filter((v: any) => v.type === 'query')
    .map((v: any) => (typeof v.query === 'string' ? v.query : v.query.query) as string)
    .map((q: string) => q.replace(/^label_values\(([^,)]+)(,[^)]*)?\)$/, '$1'));
  return [...targets, ...variables];
}

/** The names a scrape of the gateway can show: counters and gauges as named, histograms with their suffixes. */
async function exportedNames(): Promise<Set<string>> {
  const config = parseConfigObject({
    providers: { mock: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:1' } },
    models: { small: { provider: 'mock', upstream: 'mock-small' } },
    callers: { app: { team: 't', roles: ['caller'], tasks: ['chat'], keyHash: hashApiKey('k-app-0123456789abcdef') } },
    routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'small' }],
  });
  const metrics = await new GatewayMetrics({ config: () => config }).registry.getMetricsAsJSON();
  return new Set(metrics.flatMap((m) => (String(m.type) === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => m.name + s) : [m.name])));
}

describe('the Grafana dashboard (ops/grafana/gatehouse-dashboard.json)', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));

  it('reads series names off PromQL, skipping functions, label matchers, ranges and groupings', () => {
    assert.deepEqual(seriesNames('histogram_quantile(0.95, sum by (le, route) (rate(gatehouse_x_bucket{route=~"a|b", code!="sum"}[5m])))'), ['gatehouse_x_bucket']);
    assert.deepEqual(seriesNames('sum(rate(a_total[1h])) / on (team) group_left b_total offset 1h'), ['a_total', 'b_total']);
    assert.deepEqual(seriesNames('max(gatehouse_route_table_version)'), ['gatehouse_route_table_version']);
  });

  it('names only series the gateway exports', async () => {
    const exported = await exportedNames();
    const exprs = expressions(dashboard);
    assert.ok(exprs.length >= 30, `${exprs.length} expressions`);
    for (const expr of exprs) {
      const names = seriesNames(expr);
      assert.ok(names.length > 0, `no series in ${expr}`);
      for (const name of names) assert.ok(exported.has(name), `${name} (in ${expr}) is not exported by the gateway`);
    }
    assert.equal(exported.has('gatehouse_invented_total'), false, 'the comparison can fail');
  });

  it('covers requests, errors, latency, cost by team, blocks and reviews', () => {
    const all = expressions(dashboard).join('\n');
    for (const needed of [/gatehouse_requests_total\{[^}]*status="failed"/, /gatehouse_request_duration_seconds_bucket/, /sum by \(team\) \(increase\(gatehouse_cost_usd_total/, /gatehouse_policy_blocks_total/, /gatehouse_limit_rejections_total/, /gatehouse_reviews_pending/, /gatehouse_review_wait_seconds_bucket/]) {
      assert.match(all, needed);
    }
    for (const p of (dashboard.panels as any[]).filter((p) => p.type !== 'row')) assert.equal(p.datasource?.uid, '${datasource}', `panel "${p.title}" uses the dashboard's Prometheus`);
  });
});
