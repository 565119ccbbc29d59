import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { hashApiKey } from '../../src/auth';
import { KEYS, chat, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { REVIEWER_KEYS, asSupport, finalView, reviewConfig } from '../helpers/review';
import { launchBrowser, screenshot } from '../helpers/browser';

const ADMIN_KEY = 'test-key-console-admin-0123456789ab';
const AUDITOR_KEY = 'test-key-console-auditor-012345678';

/** Signs in over plain HTTP: the cookie jar and the session's CSRF token. */
async function httpSession(url: string, key: string): Promise<{ cookies: Map<string, string>; token: string; status: number }> {
  const cookies = jar(await fetch(`${url}/console/api/csrf`));
  const pre = ((await (await fetch(`${url}/console/api/csrf`, { headers: { cookie: cookieHeader(cookies) } })).json()) as any).csrf_token;
  const res = await fetch(`${url}/console/api/session`, { method: 'POST', headers: { cookie: cookieHeader(cookies), 'x-csrf-token': pre, authorization: `Bearer ${key}` } });
  const body = (await res.json()) as any;
  return { cookies: jar(res, cookies), token: body.csrf_token, status: res.status };
}

/** A signed-in page of a fresh browser context (its own cookie jar). */
async function signedIn(browser: Browser, url: string, key: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  page.on('pageerror', (err) => assert.fail(`the page threw: ${err.message}`));
  await page.goto(`${url}/console`);
  await page.fill('#key', key);
  await page.click('button[type=submit]');
  await page.waitForSelector('#who button');
  return page;
}

/** Cookies from a Set-Cookie list, for plain fetch calls. */
function jar(res: Response, into: Map<string, string> = new Map()): Map<string, string> {
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const eq = pair!.indexOf('=');
    into.set(pair!.slice(0, eq), pair!.slice(eq + 1));
  }
  return into;
}
const cookieHeader = (j: Map<string, string>) => [...j].map(([k, v]) => `${k}=${v}`).join('; ');

describe('the console (real gateway, real Temporal, headless Chromium)', () => {
  let gw: TestGateway;
  let browser: Browser;

  before(async () => {
    [gw, browser] = await Promise.all([
      startTestGateway({
        config: (u) =>
          reviewConfig(u, (c) => {
            c.callers.ops = { team: 'ops', roles: ['admin'], keyHash: hashApiKey(ADMIN_KEY) };
            c.callers.finance = { team: 'finance', roles: ['auditor'], keyHash: hashApiKey(AUDITOR_KEY) };
          }),
      }),
      launchBrowser(),
    ]);
  });
  after(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('serves the page with a strict CSP and no inline script', async () => {
    const res = await fetch(`${gw.url}/console`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script is a file');
    assert.doesNotMatch(html, /\son\w+=/, 'no inline event handlers');
    assert.equal((await fetch(`${gw.url}/console/assets/app.js`)).headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await fetch(`${gw.url}/console/assets/..%2Fsessions.js`)).status, 404);
  });

  it('sessions: HttpOnly SameSite=Strict cookie on /console; CSRF token required (403 without); sign-out ends it', async () => {
    const cookies = jar(await fetch(`${gw.url}/console/api/csrf`));
    const pre = await fetch(`${gw.url}/console/api/csrf`, { headers: { cookie: cookieHeader(cookies) } });
    const token = ((await pre.json()) as { csrf_token: string }).csrf_token;
    const signIn = (headers: Record<string, string>) =>
      fetch(`${gw.url}/console/api/session`, { method: 'POST', headers: { cookie: cookieHeader(cookies), authorization: `Bearer ${REVIEWER_KEYS.alice}`, ...headers } });

    const noToken = await signIn({});
    assert.equal(noToken.status, 403, 'sign-in is a state-changing call too');
    assert.equal(((await noToken.json()) as any).error.code, 'csrf_token_invalid');

    const res = await signIn({ 'x-csrf-token': token });
    const session = (await res.json()) as any;
    assert.equal(res.status, 200, JSON.stringify(session));
    assert.deepEqual([session.who, session.roles], ['alice', ['reviewer']]);
    assert.ok(!JSON.stringify(session).includes(REVIEWER_KEYS.alice), 'the key is not sent back');
    const set = res.headers.getSetCookie().find((c) => c.startsWith('gatehouse_console='))!;
    assert.match(set, /HttpOnly/i);
    assert.match(set, /SameSite=Strict/i);
    assert.match(set, /Path=\/console(;|$)/);
    assert.ok(!set.includes(REVIEWER_KEYS.alice));
    jar(res, cookies);

    const asSession = (method: string, path: string, headers: Record<string, string> = {}) =>
      fetch(`${gw.url}/console/api${path}`, { method, headers: { cookie: cookieHeader(cookies), ...headers } });
    assert.equal((await asSession('GET', '/admin/reviews')).status, 200, 'the cookie alone authenticates a read');
    const forged = await asSession('POST', '/admin/reviews/req-x/approve', { 'content-type': 'application/json' });
    assert.equal(forged.status, 403, 'a decision without the token is refused');
    assert.equal(((await forged.json()) as any).error.code, 'csrf_token_invalid');
    const preLogin = await asSession('POST', '/admin/reviews/req-x/approve', { 'x-csrf-token': token });
    assert.equal(preLogin.status, 403, "the pre-sign-in token is bound to no session: it does not pass for this one");
    const withToken = await asSession('POST', '/admin/reviews/req-x/approve', { 'x-csrf-token': session.csrf_token });
    assert.equal(withToken.status, 404, 'with the token the decision reaches the review API (no such request)');
    assert.equal((await fetch(`${gw.url}/admin/reviews`, { headers: { cookie: cookieHeader(cookies) } })).status, 401, 'the cookie is for the console only');

    assert.equal((await asSession('DELETE', '/session')).status, 403, 'sign-out needs the token');
    assert.equal((await asSession('DELETE', '/session', { 'x-csrf-token': session.csrf_token })).status, 200);
    const after = await asSession('GET', '/admin/reviews');
    assert.equal(after.status, 401);
    assert.equal(((await after.json()) as any).error.code, 'not_signed_in');
  });

  it("a session carries its key's roles, checked by the guard: a reviewer cannot flip the kill switch, an auditor only reads usage", async () => {
    const call = (who: { cookies: Map<string, string>; token: string }, method: string, path: string, body?: unknown) =>
      fetch(`${gw.url}/console/api${path}`, {
        method,
        headers: { cookie: cookieHeader(who.cookies), 'x-csrf-token': who.token, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    const reviewer = await httpSession(gw.url, REVIEWER_KEYS.alice);
    const killed = await call(reviewer, 'POST', '/admin/routes/disable', { target: 'chat', reason: 'not mine to do' });
    assert.equal(killed.status, 403);
    assert.equal(((await killed.json()) as any).error.code, 'admin_role_required');
    assert.equal((await call(reviewer, 'GET', '/admin/routes')).status, 200);

    const auditor = await httpSession(gw.url, AUDITOR_KEY);
    assert.equal(auditor.status, 200);
    assert.equal((await call(auditor, 'GET', '/admin/usage?by=team&since=1d')).status, 200);
    for (const path of ['/admin/reviews', '/admin/routes', '/requests']) assert.equal((await call(auditor, 'GET', path)).status, 403, path);
    assert.equal((await call(auditor, 'POST', '/admin/routes/disable', { target: 'chat', reason: 'x' })).status, 403);
  });

  it('a caller key cannot sign in: 403 with a clear message, in the page too', async () => {
    const cookies = jar(await fetch(`${gw.url}/console/api/csrf`));
    const token = ((await (await fetch(`${gw.url}/console/api/csrf`, { headers: { cookie: cookieHeader(cookies) } })).json()) as any).csrf_token;
    const res = await fetch(`${gw.url}/console/api/session`, { method: 'POST', headers: { cookie: cookieHeader(cookies), 'x-csrf-token': token, ...asSupport } });
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as any).error.message, /needs the reviewer or admin or auditor role/);
    assert.equal(res.headers.getSetCookie().filter((c) => c.startsWith('gatehouse_console=')).length, 0);

    const page = await (await browser.newContext()).newPage();
    await page.goto(`${gw.url}/console`);
    await page.fill('#key', KEYS.support);
    await page.click('button[type=submit]');
    await page.waitForSelector('form .flash.error:not([hidden])');
    assert.match((await page.textContent('form .flash.error')) ?? '', /cannot sign in to the console/);
    assert.equal(await page.locator('#who button').count(), 0, 'not signed in');
    await screenshot(page, '0-sign-in-refused');
    await page.context().close();
  });

  it('reviewer: a held request appears in the queue, is approved in the page, and the caller gets the answer', async () => {
    const page = await signedIn(browser, gw.url, REVIEWER_KEYS.alice);
    await page.waitForSelector('h1:has-text("Held for review")');
    const res = await chat(gw.url, hello('Draft a refund letter for order 42'), { ...asSupport, 'x-gatehouse-task': 'draft' });
    assert.equal(res.status, 202, JSON.stringify(res.json));
    const id: string = res.json.id;

    const row = page.locator('tr', { has: page.locator(`a.request:text-is("${id}")`) });
    await row.waitFor({ timeout: 30_000 }); // the queue refreshes itself
    assert.match((await row.textContent()) ?? '', /draft.*support \(support\).*low.*always/s, 'route, caller, risk, why held');
    const temporal = await row.locator('a.temporal').getAttribute('href');
    assert.ok(temporal?.startsWith(`http://localhost:8233/namespaces/${gw.namespace}/workflows/${encodeURIComponent(id)}/`), temporal ?? '');
    await screenshot(page, '1-review-queue');

    await row.locator('a.request').click();
    await page.waitForSelector('h2:has-text("Prompt")');
    assert.match((await page.textContent('.prompt')) ?? '', /Draft a refund letter for order 42/);
    assert.equal(await page.inputValue('#answer'), 'Mock answer to: Draft a refund letter for order 42');
    await screenshot(page, '2-review-detail');
    await page.fill('#comment', 'reads well');
    await page.click('#approve');
    await page.waitForSelector(`#flash:has-text("${id}: approve by alice")`);
    assert.equal(await row.count(), 0, 'gone from the queue at once');

    const view = await finalView(gw.url, id);
    assert.equal(view.status, 'completed');
    assert.equal(view.result.choices[0].message.content, 'Mock answer to: Draft a refund letter for order 42');
    assert.deepEqual([view.result.gatehouse.review.by, view.result.gatehouse.review.action], ['alice', 'approve']);

    // The key is nowhere in the page: not in the DOM, not in storage, and the session cookie is HttpOnly.
    const stored: string = await page.evaluate("[document.documentElement.outerHTML, JSON.stringify(localStorage), JSON.stringify(sessionStorage), document.cookie].join('\\n')");
    assert.ok(!stored.includes(REVIEWER_KEYS.alice));
    assert.ok(!stored.includes('gatehouse_console='));
    await page.context().close();
  });

  it('admin: overview, route table and canary report; the kill switch refuses requests, with reason and audit', async () => {
    assert.equal((await chat(gw.url, hello('warm up'), asSupport)).status, 200);
    const page = await signedIn(browser, gw.url, ADMIN_KEY);
    await page.waitForSelector('.cards');
    assert.match((await page.textContent('main')) ?? '', /Latest requests/);
    await screenshot(page, '3-overview');

    await page.click('nav a:has-text("Routes")');
    await page.waitForSelector('h1:has-text("Route table v")');
    await page.click('button[data-target="route:chat"]');
    await page.waitForSelector('dialog#confirm-switch[open]');
    await page.click('#confirm');
    // No reason yet: the form does not go (the field is required) and nothing changes.
    assert.equal(await page.locator('dialog#confirm-switch[open] #switch-reason:invalid').count(), 1);
    assert.equal((await chat(gw.url, hello('still on'), asSupport)).status, 200);
    await page.fill('#switch-reason', 'provider incident 123');
    await screenshot(page, '4-kill-switch-confirm');
    await page.click('#confirm');
    await page.waitForSelector('tr:has-text("disabled: provider incident 123")');
    await screenshot(page, '5-routes');
    const logged = await page.locator('tr', { hasText: 'provider incident 123' }).last().textContent();
    assert.match(logged ?? '', /ops\s*disable\s*route chat\s*provider incident 123/, 'in the change log, with who and why');

    const refused = await chat(gw.url, hello('refused now'), asSupport);
    assert.equal(refused.status, 503, JSON.stringify(refused.json));
    assert.equal(refused.json.error.code, 'route_disabled');

    await page.click('button[data-target="route:chat"]');
    await page.fill('#switch-reason', 'incident over');
    await page.click('#confirm');
    await page.waitForSelector('button[data-target="route:chat"]:has-text("Disable")');
    assert.equal((await chat(gw.url, hello('back'), asSupport)).status, 200);

    await page.click('a[href="#/canary/chat"]');
    await page.waitForSelector('h1:has-text("Canary and shadow: chat")');
    await screenshot(page, '6-canary');
    await page.context().close();
  });
});
