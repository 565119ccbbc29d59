import assert from 'node:assert/strict';
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
});
