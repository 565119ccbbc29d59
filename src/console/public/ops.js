// Operators: today's overview, the route table with the kill switch, and a route's canary/shadow report.
import { api } from './api.js';
import { h, relative, render, show, table, when } from './dom.js';

const POLL_MS = 10_000;
const usd = (x) => `$${(x ?? 0).toFixed(4)}`;
const blocks = (b) => Object.values(b ?? {}).reduce((a, n) => a + n, 0);
const ms = (x) => (x === null || x === undefined ? '—' : `${x} ms`);

function midnightUtc() {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())).toISOString();
}

export async function overview(ctx) {
  const body = h('div', {});
  const stamp = h('span', { class: 'muted' });
  show(ctx.main, h('section', {}, h('h1', {}, 'Today ', stamp), body));
  const isAdmin = ctx.session.roles.includes('admin');
  const load = async () => {
    const [usage, routes, recent] = await Promise.all([
      api('GET', `/admin/usage?by=team&since=${encodeURIComponent(midnightUtc())}`),
      isAdmin ? api('GET', '/admin/routes') : null,
      isAdmin ? api('GET', '/requests') : null,
    ]);
    const t = usage.total;
    show(body,
      h('div', { class: 'cards' },
        card('Requests', t.requests), card('Errors', t.errors), card('Blocks', blocks(t.blocks)), card('Cost', usd(t.costUsd)),
        card('p95 latency', ms(t.p95LatencyMs)),
        routes ? card('Route table', `v${routes.version}`) : null,
      ),
      h('h2', {}, 'By team (since 00:00 UTC)'),
      table(['Team', 'Requests', 'Errors', 'Blocks', 'Tokens in / out', 'Cost', 'p50 / p95', 'Fallbacks'],
        usage.groups.map((g) => [g.key ?? '(none)', g.requests, g.errors, blockList(g.blocks), `${g.promptTokens} / ${g.completionTokens}`, usd(g.costUsd), `${ms(g.p50LatencyMs)} / ${ms(g.p95LatencyMs)}`, g.fallbacks]),
        'No requests yet today.'),
      recent ? [h('h2', {}, 'Latest requests'), table(['Request', 'Status', 'Route', 'Caller (team)', 'Model', 'Started', 'History'],
        recent.data.map((r) => [h('code', {}, r.id), h('span', { class: `status ${r.status}` }, r.status), r.route ?? '', `${r.caller ?? '?'} (${r.team ?? '?'})`, r.model ?? '', h('span', { title: when(r.started_at) }, relative(r.started_at)), ctx.temporalLink(r.id, r.run_id)]),
        'No requests yet.')] : null,
    );
    stamp.textContent = `· updated ${new Date().toLocaleTimeString()}`;
  };
  await load();
  const timer = setInterval(() => load().catch(ctx.fail), POLL_MS);
  return () => clearInterval(timer);
}

const card = (label, value) => h('div', { class: 'card stat' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, String(value)));
const blockList = (b) => (blocks(b) === 0 ? '0' : Object.entries(b).map(([k, n]) => `${k}: ${n}`).join(', '));

export async function routesView(ctx) {
  const isAdmin = ctx.session.roles.includes('admin');
  const [table_, models, history] = await Promise.all([api('GET', '/admin/routes'), api('GET', '/admin/models'), api('GET', '/admin/routes/history?limit=20')]);
  const off = (kind, name) => table_.disabled.find((d) => d.kind === kind && d.name === name);
  const switchButton = (kind, name) => {
    if (!isAdmin) return null;
    const d = off(kind, name);
    return h('button', { type: 'button', class: d ? 'secondary' : 'danger', 'data-target': `${kind}:${name}`, onclick: () => confirmSwitch(ctx, kind, name, !d) }, d ? 'Enable' : 'Disable');
  };
  const state = (kind, name) => {
    const d = off(kind, name);
    return d ? h('span', { class: 'status denied', title: `${d.reason} (${d.author}, ${when(d.at)})` }, `disabled: ${d.reason}`) : h('span', { class: 'status completed' }, 'on');
  };
  show(ctx.main,
    h('section', {},
      h('h1', {}, `Route table v${table_.version}`),
      h('p', { class: 'muted' }, `${table_.author ?? '?'} · ${when(table_.created_at)} · ${table_.reason ?? ''}`),
      table(['Route', 'Primary', 'Fallbacks', 'Canary', 'Shadow', 'State', '', ''], table_.routes.map((r) => [
        h('strong', {}, r.name), r.primary, (r.fallbacks ?? []).join(', '),
        r.canary ? `${r.canary.model} (${Math.round(r.canary.share * 100)}%)` : '', r.shadow ? `${r.shadow.model} (${Math.round(r.shadow.share * 100)}%)` : '',
        state('route', r.name), h('a', { href: `#/canary/${encodeURIComponent(r.name)}` }, 'Canary report'), switchButton('route', r.name),
      ])),
      table_.pending.length ? [h('h2', {}, 'Changes waiting for a second admin'), table(['Id', 'Based on', 'Author', 'Reason', 'Since'], table_.pending.map((p) => [p.id, `v${p.based_on}`, p.author, p.reason, when(p.created_at)]))] : null,
      h('h2', {}, 'Models'),
      table(['Model', 'Provider', 'Status', 'Used by', 'State', ''], models.data.map((m) => [
        h('strong', {}, m.name), m.provider, m.status, m.usedBy.map((u) => `${u.route} (${u.as})`).join(', '), state('model', m.name), switchButton('model', m.name),
      ])),
      h('h2', {}, 'Change log'),
      table(['When', 'Who', 'Action', 'Target', 'Reason', 'Version'], history.changes.map((c) => [when(c.at), c.author, c.action, c.target ?? '', c.reason, c.version ? `v${c.version}` : ''])),
    ),
  );
}

/** The kill switch: a reason, an explicit confirmation, then POST /admin/routes/disable|enable (logged with who and why). */
function confirmSwitch(ctx, kind, name, disable) {
  const reason = h('textarea', { id: 'switch-reason', rows: 2, required: true, placeholder: 'Why (recorded in the change log)' });
  const error = h('p', { class: 'flash error', hidden: true });
  const effect = disable
    ? `New requests for ${kind} “${name}” will be ${kind === 'route' ? 'refused (or queued, where the route queues)' : 'routed to its fallbacks, or refused when none is left'}.`
    : `${kind === 'route' ? 'Route' : 'Model'} “${name}” takes requests again.`;
  const dialog = h('dialog', { id: 'confirm-switch' },
    h('form', { method: 'dialog', onsubmit: async (e) => {
      e.preventDefault();
      if (!reason.value.trim()) return void Object.assign(error, { hidden: false, textContent: 'Give a reason.' });
      try {
        await api('POST', `/admin/routes/${disable ? 'disable' : 'enable'}`, { target: name, kind, reason: reason.value.trim() });
        dialog.close();
        ctx.flash(`${kind} ${name} ${disable ? 'disabled' : 'enabled'}.`);
        await routesView(ctx);
      } catch (err) {
        Object.assign(error, { hidden: false, textContent: err.message });
      }
    } },
      h('h2', {}, `${disable ? 'Disable' : 'Enable'} ${kind} ${name}?`),
      h('p', {}, effect),
      h('label', { for: 'switch-reason' }, 'Reason'),
      reason,
      error,
      h('div', { class: 'actions' },
        h('button', { type: 'submit', id: 'confirm', class: disable ? 'danger' : '' }, `Yes, ${disable ? 'disable' : 'enable'} it`),
        h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Cancel'),
      ),
    ),
  );
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  reason.focus();
}

export async function canaryView(ctx, route) {
  const since = new URLSearchParams(location.hash.split('?')[1] ?? '').get('since') ?? '24h';
  const report = await api('GET', `/admin/canary/${encodeURIComponent(route)}?since=${encodeURIComponent(since)}`);
  const { since: from, routeTableVersion, split, shadowPairs } = report;
  const rest = Object.fromEntries(Object.entries(report).filter(([k]) => !['object', 'route', 'since', 'routeTableVersion', 'split', 'shadowPairs'].includes(k)));
  const sides = (s) => s && table(['', ...Object.keys(s.primary ?? {})], [['primary', ...Object.values(s.primary ?? {}).map(render)], ['candidate', ...Object.values(s.candidate ?? {}).map(render)]]);
  show(ctx.main,
    h('section', {},
      h('p', {}, h('a', { href: '#/routes' }, '← Routes')),
      h('h1', {}, `Canary and shadow: ${route}`),
      h('p', { class: 'muted' }, `Since ${when(from)} · route table v${routeTableVersion} · `, ['1h', '24h', '7d'].map((s) => h('a', { href: `#/canary/${encodeURIComponent(route)}?since=${s}`, class: s === since ? 'active' : '' }, s, ' '))),
      h('h2', {}, 'Traffic split'), h('p', {}, `primary ${split?.primaryModel ?? '?'} · candidate ${split?.candidateModel ?? 'none'}`), sides(split),
      h('h2', {}, 'Shadow pairs'), h('p', {}, `${shadowPairs?.pairs ?? 0} pairs · candidate ${shadowPairs?.candidateModel ?? 'none'}`), sides(shadowPairs),
      shadowPairs?.agreement ? render(shadowPairs.agreement) : null,
      h('h2', {}, 'Everything else in the report'), render(rest),
    ),
  );
}
