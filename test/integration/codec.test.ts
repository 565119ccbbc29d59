import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { hashApiKey } from '../../src/auth';
import { KEYS, auth, chat, hello, startTestGateway, testConfig, type TestGateway } from '../helpers/gateway';

const REVIEWER = 'test-key-reviewer-0123456789abcdef';

describe('codec endpoint for the Temporal UI', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({
      config: (u) => {
        const c = testConfig(u) as { callers: Record<string, unknown> };
        c.callers.rita = { team: 'support', roles: ['reviewer'], keyHash: hashApiKey(REVIEWER) };
        return c;
      },
      env: { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS }, // an external cluster: keys required
    });
  });
  after(() => gw?.close());

  const post = (op: string, body: unknown, key?: string) =>
    fetch(`${gw.url}/codec/${op}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? auth(key) : {}) }, body: JSON.stringify(body) });

  it('decodes a real request history for a reviewer; the stored payloads are ciphertext', async () => {
    const res = await chat(gw.url, hello('decode me later'), auth(KEYS.support));
    const id = res.headers.get('x-gatehouse-request-id')!;
    // A plain client without the codec sees what the server stores.
    const connection = await Connection.connect({ address: gw.temporalAddress });
    const raw = new Client({ connection });
    const history = await raw.workflow.getHandle(id).fetchHistory();
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    await connection.close();
    const jsonPayload = {
      metadata: Object.fromEntries(Object.entries(input.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      data: Buffer.from(input.data ?? []).toString('base64'),
    };
    assert.equal(Buffer.from(jsonPayload.metadata.encoding!, 'base64').toString(), 'binary/encrypted');
    assert.ok(!Buffer.from(jsonPayload.data, 'base64').toString().includes('decode me later'));

    const decoded = await post('decode', { payloads: [jsonPayload] }, REVIEWER);
    assert.equal(decoded.status, 200);
    const [plain] = ((await decoded.json()) as { payloads: Array<{ data: string }> }).payloads;
    assert.match(Buffer.from(plain!.data, 'base64').toString(), /decode me later/);
  });

  it('encode then decode round-trips', async () => {
    const p = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('{"a":1}').toString('base64') };
    const enc = (await (await post('encode', { payloads: [p] }, REVIEWER)).json()) as { payloads: unknown[] };
    const dec = (await (await post('decode', enc, REVIEWER)).json()) as { payloads: Array<{ data: string }> };
    assert.equal(Buffer.from(dec.payloads[0]!.data, 'base64').toString(), '{"a":1}');
  });

  it('callers and unauthenticated users are refused when keys are required', async () => {
    assert.equal((await post('decode', { payloads: [] }, KEYS.support)).status, 403);
    assert.equal((await post('decode', { payloads: [] })).status, 401);
  });

  const encrypted = async (text: string) => {
    const p = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(text).toString('base64') };
    return ((await (await post('encode', { payloads: [p] }, REVIEWER)).json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads[0]!;
  };

  it('tampered or truncated ciphertext and a foreign key id are 400 with a stable code, never 5xx', async () => {
    const good = await encrypted('{"a":1}');
    const bytes = Buffer.from(good.data, 'base64');
    bytes[20] = bytes[20]! ^ 0xff;
    const cases: Array<[unknown, string]> = [
      [{ ...good, data: bytes.toString('base64') }, 'invalid_payload'],
      [{ ...good, data: Buffer.from('short').toString('base64') }, 'invalid_payload'],
      [{ ...good, data: undefined }, 'invalid_payload'],
      [{ ...good, metadata: { ...good.metadata, 'encryption-key-id': Buffer.from('other').toString('base64') } }, 'unknown_key_id'],
    ];
    for (const [payload, code] of cases) {
      const res = await post('decode', { payloads: [payload] }, REVIEWER);
      assert.equal(res.status, 400, code);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, code);
    }
  });

  it('answers only requests addressed to this gateway from the configured UI origin (forged Host, DNS rebinding)', async () => {
    const call = (headers: Record<string, string>) =>
      fetch(`${gw.url}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth(REVIEWER), ...headers }, body: '{"payloads":[]}' });
    // fetch always sends the real Host; a forged one needs node:http.
    const forged = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${gw.url}/codec/decode`, { method: 'POST', headers: { host: 'evil.example', 'content-type': 'application/json', ...auth(REVIEWER) } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end('{"payloads":[]}');
    });
    assert.equal(forged.status, 403);
    assert.equal((JSON.parse(forged.body) as { error: { code: string } }).error.code, 'codec_host_not_allowed');
    const foreign = await call({ origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    assert.equal(((await foreign.json()) as { error: { code: string } }).error.code, 'codec_origin_not_allowed');
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    assert.equal((await call({})).status, 200, 'a non-browser client with a reviewer key');
  });

  it('has no keyless path without the embedded UI: a guessed token is refused', async () => {
    const res = await fetch(`${gw.url}/codec/${'a'.repeat(32)}/decode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"payloads":[]}' });
    assert.equal(res.status, 403);
  });

  it('the decoded start input holds a sealed envelope, never the caller key; encode refuses a raw reviewer key', async () => {
    const res = await chat(gw.url, hello('whose key?'), auth(KEYS.support));
    const id = res.headers.get('x-gatehouse-request-id')!;
    const history = await gw.client.workflow.getHandle(id).fetchHistory();
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    const asJson = { metadata: Object.fromEntries(Object.entries(input.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(input.data ?? []).toString('base64') };
    const decoded = (await (await post('decode', { payloads: [asJson] }, REVIEWER)).json()) as { payloads: Array<{ data: string }> };
    const text = Buffer.from(decoded.payloads[0]!.data, 'base64').toString();
    assert.match(text, /"credential":"ghsealed1\./);
    assert.ok(!text.includes(KEYS.support) && !text.includes(hashApiKey(KEYS.support)), 'neither the key nor its hash');

    const raw = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from(JSON.stringify({ action: 'approve', credential: REVIEWER })).toString('base64') };
    const refused = await post('encode', { payloads: [raw] }, REVIEWER);
    assert.equal(refused.status, 400);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'raw_credential_refused');
    assert.ok(!JSON.stringify(body).includes(REVIEWER));
  });

  it('a raw key already in a history (older runs, a signal sent around the API) is redacted on decode', async () => {
    const [stored] = await gw.client.options.loadedDataConverter.payloadCodecs[0]!.encode([
      { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify({ action: 'approve', credential: REVIEWER, comment: 'legacy' })) },
    ]);
    const asJson = { metadata: Object.fromEntries(Object.entries(stored!.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(stored!.data ?? []).toString('base64') };
    const decoded = (await (await post('decode', { payloads: [asJson] }, REVIEWER)).json()) as { payloads: Array<{ data: string }> };
    const value = JSON.parse(Buffer.from(decoded.payloads[0]!.data, 'base64').toString()) as Record<string, string>;
    assert.deepEqual(value, { action: 'approve', credential: '[redacted: raw API key]', comment: 'legacy' });
  });
});
