import assert from 'node:assert/strict';
import pino from 'pino';
import { after, before, describe, it } from 'node:test';
import { hashApiKey } from '../../src/auth';
import { MAX_BODY_BYTES } from '../../src/http/body';
import { KEYS, auth, hello, send, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';

const ADMIN_KEY = 'test-key-admin-0123456789abcdef0';
const LIMITED_KEY = 'test-key-limited-0123456789abcdef';

const config = (mockUrl: string) => {
  const c = testConfig(mockUrl) as { callers: Record<string, unknown> };
  c.callers.root = { team: 'ops', roles: ['admin'], keyHash: hashApiKey(ADMIN_KEY) };
  c.callers.limited = { team: 'throttled', roles: ['caller'], tasks: ['chat'], keyHash: hashApiKey(LIMITED_KEY) };
  return { ...c, limits: { callers: { limited: { rpm: 2 } } } };
};

const JSON_TYPE = { 'content-type': 'application/json' };
const deep = (n: number) => `{"model":"auto","messages":${'['.repeat(n)}${']'.repeat(n)}}`;

describe('the front door: authentication before the body, cheap refusals, every bad input a 4xx', () => {
  let gw: TestGateway;
  const chatRaw = (body: string | Buffer, headers: Record<string, string> = {}) => send(gw.url, '/v1/chat/completions', body, { ...JSON_TYPE, ...headers });
  /** Rows the workflows wrote (one per started request) for this caller ('' = unknown). */
  const requestRows = async (caller: string | null) =>
    (await gw.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM requests WHERE caller IS NOT DISTINCT FROM ?', [caller]))!.n;
  const refusals = async (code: string, caller: string | null) =>
    (await gw.ledger.refusals()).filter((r) => r.code === code && r.caller === caller).reduce((n, r) => n + r.count, 0);

  const logLines: string[] = [];
  before(async () => {
    gw = await startTestGateway({ config, logger: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }) });
  });
  after(() => gw?.close());

  it('no key or a bad key is a 401 before the body is read: broken, deep or oversized bodies make no difference', async () => {
    const huge = Buffer.alloc(3 * 1024 * 1024, 'a');
    for (const [body, headers, code] of [
      ['{"model": ', {}, 'missing_api_key'],
      [deep(10_000), { authorization: 'Bearer nope' }, 'invalid_api_key'],
      [huge, { authorization: 'Bearer nope' }, 'invalid_api_key'],
      [huge, {}, 'missing_api_key'],
    ] as const) {
      const res = await chatRaw(body, headers);
      assert.equal(res.status, 401, JSON.stringify(res.json).slice(0, 300));
      assert.equal(res.json.error.code, code);
      assert.equal(res.headers.get('x-gatehouse-request-id'), null, 'no workflow was started');
    }
    assert.equal(await requestRows(null), 0, 'no ledger row of an unknown caller: no workflow ran');
    assert.ok((await refusals('missing_api_key', null)) >= 2 && (await refusals('invalid_api_key', null)) >= 2, JSON.stringify((await gw.ledger.refusals())));
    const logged = logLines.filter((l) => l.includes('refused at the front door')).map((l) => JSON.parse(l));
    assert.ok(logged.some((l) => l.code === 'invalid_api_key' && l.status === 401 && l.route === '/v1/chat/completions'), logged.map((l) => JSON.stringify(l)).join('\n'));
    assert.ok(!logLines.some((l) => l.includes('nope')), 'the presented key is never logged');
  });

  it('over the rate limit is a 429 at the front door: no workflow, counted once, attributed to the caller', async () => {
    const ask = (n: number) => chatRaw(JSON.stringify(hello(`limited ${n}`)), auth(LIMITED_KEY));
    const first = await ask(1);
    assert.equal(first.status, 200, JSON.stringify(first.json));
    // The front door only peeks: admission's count is the only one (2 - 1 = 1 left, not 0).
    assert.equal(first.headers.get('x-ratelimit-remaining-requests'), '1');
    assert.equal((await ask(2)).status, 200);
    const refused = await ask(3);
    assert.equal(refused.status, 429);
    assert.equal(refused.json.error.code, 'rate_limit_exceeded');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal(refused.headers.get('x-ratelimit-remaining-requests'), '0');
    assert.equal(refused.headers.get('x-gatehouse-request-id'), null, 'no workflow was started');
    assert.equal((await ask(4)).status, 429);
    assert.equal(await requestRows('limited'), 2, 'only the two admitted requests ran a workflow');
    assert.equal(await refusals('rate_limit_exceeded', 'limited'), 2);
    assert.equal((await gw.ledger.refusals()).find((r) => r.caller === 'limited')?.team, 'throttled');
  });

  it('a key without the route\'s role is a 403 before the body is read, counted with its caller', async () => {
    const res = await send(gw.url, '/admin/routes', '{"broken', { ...JSON_TYPE, ...auth(KEYS.analyst) }, 'PUT');
    assert.equal(res.status, 403);
    assert.equal(res.json.error.code, 'admin_role_required');
    const chatAsAdmin = await chatRaw('{"broken', auth(ADMIN_KEY));
    assert.equal(chatAsAdmin.status, 403);
    assert.equal(chatAsAdmin.json.error.code, 'caller_role_required');
    assert.equal(await refusals('admin_role_required', 'analyst'), 1);
    assert.equal(await refusals('caller_role_required', 'root'), 1);
  });

  it('bodies Temporal could not store are 413: over the limit as sent, or once re-serialised', async () => {
    const padded = (bytes: number) => JSON.stringify({ ...hello('pad'), pad: 'x'.repeat(bytes) });
    for (const size of [MAX_BODY_BYTES + 10, 2 * 1024 * 1024, 4 * 1024 * 1024]) {
      const res = await chatRaw(padded(size), auth(KEYS.support));
      assert.equal(res.status, 413, `${size}: ${JSON.stringify(res.json).slice(0, 200)}`);
      assert.equal(res.json.error.code, 'request_too_large');
    }
    // 300 KB of `9e20` re-serialises as 1.3 MB of digits: refused, not a 500 from the payload limit.
    const numbers = `{"model":"auto","messages":[{"role":"user","content":"n"}],"pad":[${Array(60_000).fill('9e20').join(',')}]}`;
    const grown = await chatRaw(numbers, auth(KEYS.support));
    assert.equal(grown.status, 413, JSON.stringify(grown.json).slice(0, 200));
    // Just under the limit (in varied words, not one run) is stored and answered.
    const words = Array.from({ length: 260_000 }, (_, i) => `w${i % 977}`).join(' ').slice(0, MAX_BODY_BYTES - 200);
    const body = JSON.stringify({ ...hello('big'), pad: words });
    assert.ok(body.length > MAX_BODY_BYTES - 200 && body.length <= MAX_BODY_BYTES);
    const big = await chatRaw(body, auth(KEYS.support));
    assert.equal(big.status, 200, JSON.stringify(big.json).slice(0, 300));
  });

  it('the codec endpoint takes the base64 of a stored payload bigger than the request limit (it stores nothing)', async () => {
    const data = Buffer.alloc(2 * 1024 * 1024, 'p').toString('base64');
    const payloads = [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data }];
    const res = await send(gw.url, '/codec/encode', JSON.stringify({ payloads }), { ...JSON_TYPE, ...auth(ADMIN_KEY) });
    assert.equal(res.status, 200, JSON.stringify(res.json).slice(0, 200));
    assert.equal(res.json.payloads.length, 1);
    const noKey = await send(gw.url, '/codec/encode', JSON.stringify({ payloads }), JSON_TYPE);
    assert.equal(noKey.status, 401);
  });

  it('malformed bodies are 400/415 with a code: deep nesting, invalid UTF-8, odd media types', async () => {
    for (const depth of [65, 4200, 100_000]) {
      const res = await chatRaw(deep(depth), auth(KEYS.support));
      assert.equal(res.status, 400, `depth ${depth}`);
      assert.equal(res.json.error.code, 'invalid_json');
    }
    const badUtf8 = Buffer.concat([Buffer.from('{"model":"auto","messages":[{"role":"user","content":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}]}')]);
    const utf8 = await chatRaw(badUtf8, auth(KEYS.support));
    assert.equal(utf8.status, 400);
    assert.equal(utf8.json.error.code, 'invalid_json');
    for (const type of ['text/plain', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await chatRaw(JSON.stringify(hello()), { ...auth(KEYS.support), 'content-type': type });
      assert.equal(res.status, 415, type);
      assert.equal(res.json.error.code, 'unsupported_media_type');
    }
    const poisoned = await chatRaw('{"model":"auto","messages":[{"role":"user","content":"x"}],"__proto__":{"admin":true}}', auth(KEYS.support));
    assert.equal(poisoned.status, 400);
  });

  it('absurd ids and query strings are 4xx: empty request id, over-long ids, huge or malformed durations', async () => {
    for (const path of ['/v1/requests/', `/v1/requests/${'x'.repeat(450)}`, '/v1/requests/%00', '/v1/requests/req-%F0%9F%92%A9', '/v1/requests/%E0%A4%A']) {
      const res = await send(gw.url, path, undefined, auth(KEYS.support), 'GET');
      assert.ok(res.status === 404 || res.status === 400, `${path.slice(0, 40)}: ${res.status} ${JSON.stringify(res.json)}`);
      assert.ok(res.json.error.code, JSON.stringify(res.json));
    }
    const tooLong = await send(gw.url, `/v1/requests/${'x'.repeat(5000)}`, undefined, auth(KEYS.support), 'GET');
    assert.equal(tooLong.status, 414);
    assert.equal(tooLong.json.error.code, 'uri_too_long');
    for (const since of ['99999999999999d', `${'9'.repeat(400)}h`, '1e999d', '-1h', '+275760-09-14T00:00:00Z', '%FF']) {
      const res = await send(gw.url, `/admin/canary/chat?since=${since}`, undefined, auth(ADMIN_KEY), 'GET');
      assert.equal(res.status, 400, `since=${since}: ${JSON.stringify(res.json)}`);
    }
    const ok = await send(gw.url, '/admin/canary/chat?since=1h', undefined, auth(ADMIN_KEY), 'GET');
    assert.equal(ok.status, 200);
  });

  it('a valid request still answers after all of it', async () => {
    const res = await chatRaw(JSON.stringify(hello('still here')), auth(KEYS.support));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.choices[0].message.content, 'Mock answer to: still here');
  });
});
