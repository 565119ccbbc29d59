// The console's shell: sign-in, navigation by role, and a hash router over the views.
import { ApiError, currentSession, signIn, signOut } from './api.js';
import { h, show } from './dom.js';
import { reviewDetail, reviewQueue } from './reviews.js';
import { canaryView, overview, routesView } from './ops.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const flashBox = document.getElementById('flash');
let session = null;
let cleanup = null;
/** A message set just before a navigation survives it; any other navigation clears the message. */
let keepFlash = false;
/** Bumped at each navigation: a view that finishes loading after the next navigation is stopped. */
let navigation = 0;

/** path pattern → [view, roles that see it in the navigation (null: reached by links only)] */
const VIEWS = [
  [/^\/reviews$/, reviewQueue, ['reviewer'], 'Reviews', '#/reviews'],
  [/^\/reviews\/(.+)$/, reviewDetail, null],
  [/^\/overview$/, overview, ['admin', 'auditor'], 'Overview', '#/overview'],
  [/^\/routes$/, routesView, ['admin', 'reviewer'], 'Routes', '#/routes'],
  [/^\/canary\/(.+)$/, canaryView, null],
];

function flash(message, kind = 'ok') {
  keepFlash = !!message;
  show(flashBox, message ? h('p', { class: `flash ${kind}` }, message) : null);
}

/** A failed background call: an ended session goes back to sign-in, anything else is shown. */
function fail(err) {
  if (err instanceof ApiError && err.status === 401) expired();
  else flash(err.message, 'error');
}

/** The Temporal UI page of a request (its run when known, else the list filtered to its id). */
function temporalLink(id, runId) {
  const { ui_url: ui, namespace } = session.temporal;
  const ns = encodeURIComponent(namespace);
  const href = runId
    ? `${ui}/namespaces/${ns}/workflows/${encodeURIComponent(id)}/${encodeURIComponent(runId)}/history`
    : `${ui}/namespaces/${ns}/workflows?query=${encodeURIComponent(`WorkflowId="${id}"`)}`;
  return h('a', { href, target: '_blank', rel: 'noopener noreferrer', class: 'temporal' }, 'Temporal');
}

const has = (roles) => roles.some((r) => session.roles.includes(r));

function home() {
  return has(['reviewer']) ? '#/reviews' : has(['admin', 'auditor']) ? '#/overview' : '#/routes';
}

async function route() {
  const current = ++navigation;
  if (cleanup) cleanup();
  cleanup = null;
  if (!keepFlash) flash('');
  keepFlash = false;
  if (!session) return signInView();
  const path = decodeURIComponent(location.hash.replace(/^#/, '').split('?')[0]) || '/';
  const found = VIEWS.find(([re]) => re.test(path));
  if (!found) return location.replace(home());
  const [re, view] = found;
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', location.hash.startsWith(a.getAttribute('href')));
  show(main, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const stop = await view({ main, session, flash, fail, temporalLink, go: (hash) => (location.hash = hash) }, ...re.exec(path).slice(1));
    if (current === navigation) cleanup = stop ?? null;
    else stop?.();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return expired();
    show(main, h('p', { class: 'flash error' }, err.message));
  }
}

function expired() {
  navigation++;
  if (cleanup) cleanup();
  cleanup = null;
  session = null;
  flash('Your session has ended: sign in again.', 'error');
  renderChrome();
  signInView();
}

function renderChrome() {
  if (!session) {
    show(nav);
    show(who);
    return;
  }
  show(nav, VIEWS.filter(([, , roles]) => roles && has(roles)).map(([, , , label, href]) => h('a', { href }, label)));
  show(who, h('span', {}, `${session.who} (${session.roles.join(', ')})`), h('button', { type: 'button', class: 'link', onclick: onSignOut }, 'Sign out'));
}

async function onSignOut() {
  try {
    await signOut();
  } finally {
    session = null;
    renderChrome();
    flash('Signed out.');
    location.hash = '';
    signInView();
  }
}

function signInView() {
  const key = h('input', { type: 'password', id: 'key', name: 'key', autocomplete: 'off', required: true, placeholder: 'gh_…' });
  const error = h('p', { class: 'flash error', hidden: true });
  const form = h(
    'form',
    { class: 'card signin', onsubmit: (e) => onSignIn(e, key, error) },
    h('h1', {}, 'Sign in'),
    h('p', { class: 'muted' }, 'With a reviewer, admin or auditor key. The key is sent once and exchanged for a session; it is not kept in this page.'),
    h('label', { for: 'key' }, 'API key'),
    key,
    error,
    h('button', { type: 'submit' }, 'Sign in'),
  );
  show(main, form);
  key.focus();
}

async function onSignIn(event, input, error) {
  event.preventDefault();
  const key = input.value.trim();
  input.value = '';
  try {
    session = await signIn(key);
    flash('');
    renderChrome();
    if (location.hash === home()) await route();
    else location.hash = home(); // the hashchange routes
  } catch (err) {
    error.hidden = false;
    error.textContent = err.status === 403 && /role_required/.test(err.code ?? '')
      ? `This key cannot sign in to the console: only reviewer, admin and auditor keys can. (${err.message})`
      : err.status === 401 ? 'Unknown or expired key.' : err.message;
  }
}

async function start() {
  try {
    session = await currentSession();
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) flash(err.message, 'error');
    session = null;
  }
  renderChrome();
  window.addEventListener('hashchange', route);
  await route();
}

void start();
