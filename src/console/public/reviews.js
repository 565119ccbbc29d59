// Reviewers: the queue of held requests they may decide, one request in full, and the decision
// (POST /admin/reviews/:id/:action: the same review Update the CLI sends).
import { api } from './api.js';
import { h, relative, show, table, when } from './dom.js';

const POLL_MS = 5000;
/** Decided here: hidden from the queue at once, before Temporal visibility catches up. */
const decided = new Set();

export async function reviewQueue(ctx) {
  const list = h('div', {});
  const stamp = h('span', { class: 'muted' });
  show(ctx.main, h('section', {}, h('h1', {}, 'Held for review ', stamp), list));
  const load = async () => {
    const { data } = await api('GET', '/admin/reviews?limit=200');
    const rows = data.filter((r) => !decided.has(r.id)).map((r) => [
      h('a', { href: `#/reviews/${encodeURIComponent(r.id)}`, class: 'request' }, r.id),
      r.route,
      `${r.caller ?? '?'} (${r.team ?? '?'})`,
      h('span', { class: `risk ${r.risk ?? ''}` }, r.risk ?? '—'),
      h('span', { class: 'reasons' }, r.reasons.map((x) => h('span', { class: `tag ${/risk/.test(x) ? 'risk' : ''}` }, x))),
      r.phase,
      h('span', { title: when(r.held_at) }, relative(r.held_at)),
      h('span', { title: when(r.deadline_at), class: Date.parse(r.deadline_at) - Date.now() < 600_000 ? 'soon' : '' }, relative(r.deadline_at)),
      ctx.temporalLink(r.id, r.run_id),
    ]);
    show(list, table(['Request', 'Route', 'Caller (team)', 'Risk', 'Why held', 'Phase', 'Held', 'Deadline', 'History'], rows, 'Nothing is waiting for you.'));
    stamp.textContent = `· ${rows.length} waiting · updated ${new Date().toLocaleTimeString()}`;
  };
  await load();
  const timer = setInterval(() => load().catch(ctx.fail), POLL_MS);
  return () => clearInterval(timer);
}

export async function reviewDetail(ctx, id) {
  const held = await api('GET', `/admin/reviews/${encodeURIComponent(id)}`);
  const answer = h('textarea', { id: 'answer', rows: 8, value: held.content });
  const comment = h('textarea', { id: 'comment', rows: 2, placeholder: 'Why (kept in the request history; a rejection reason is told to the caller)' });
  const status = h('p', { class: 'flash error', hidden: true });
  const decide = async (action) => {
    const text = comment.value.trim();
    const body = action === 'reject' ? { reason: text } : { ...(text ? { comment: text } : {}), ...(action === 'edit' ? { content: answer.value } : {}) };
    if (action === 'reject' && !text) return fail('A rejection needs a reason (the comment field).');
    if (action === 'edit' && answer.value === held.content) return fail('Edit the answer first, or approve it as it is.');
    try {
      const { decision } = await api('POST', `/admin/reviews/${encodeURIComponent(id)}/${action}`, body);
      decided.add(id);
      ctx.flash(`${id}: ${decision.action} by ${decision.by} at ${when(decision.at)}.`);
      ctx.go('#/reviews');
    } catch (err) {
      if (err.status === 401) ctx.fail(err);
      else fail(err.message);
    }
  };
  const fail = (message) => {
    status.hidden = false;
    status.textContent = message;
  };
  const r = held.review;
  show(
    ctx.main,
    h('section', { class: 'detail' },
      h('p', {}, h('a', { href: '#/reviews' }, '← Queue')),
      h('h1', {}, 'Request ', h('code', {}, id)),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Route'), h('dd', {}, held.route),
        h('dt', {}, 'Caller'), h('dd', {}, `${held.caller ?? '?'}${held.task ? ` · task ${held.task}` : ''}`),
        h('dt', {}, 'Model'), h('dd', {}, held.model),
        h('dt', {}, 'Risk'), h('dd', {}, held.risk ?? 'not recorded'),
        h('dt', {}, 'Why held'), h('dd', {}, r.reasons.join('; ')),
        h('dt', {}, 'Deadline'), h('dd', {}, `${when(r.deadlineAt)} (${relative(r.deadlineAt)}, phase ${r.phase})`),
        h('dt', {}, 'History'), h('dd', {}, ctx.temporalLink(id)),
      ),
      h('h2', {}, 'Prompt'),
      held.prompt ? h('div', { class: 'prompt' }, held.prompt.map((m) => h('div', { class: `msg ${m.role}` }, h('span', { class: 'role' }, m.role), h('pre', {}, m.content)))) : h('p', { class: 'muted' }, 'Not recorded for this request.'),
      h('h2', {}, 'Validator findings'),
      held.validation ? h('p', { class: held.validation.ok ? 'ok' : 'bad' }, held.validation.ok ? 'Passed: ' : 'Failed: ', held.validation.summary) : h('p', { class: 'muted' }, 'This route validates nothing.'),
      h('h2', {}, 'Answer'),
      h('label', { for: 'answer' }, 'The answer as held (change it, then “Approve with edits”)'),
      answer,
      h('label', { for: 'comment' }, 'Comment'),
      comment,
      status,
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'approve', onclick: () => decide('approve') }, 'Approve'),
        h('button', { type: 'button', id: 'edit', class: 'secondary', onclick: () => decide('edit') }, 'Approve with edits'),
        h('button', { type: 'button', id: 'reject', class: 'danger', onclick: () => decide('reject') }, 'Reject'),
      ),
    ),
  );
}
