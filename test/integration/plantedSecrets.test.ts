import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import pino from 'pino';
import { hashApiKey } from '../../src/auth';
import { freePortPair } from '../../src/temporal/devServer';
import { reviewUpdate } from '../../workflows/definitions';
import { chat, startTestGateway, type TestGateway } from '../helpers/gateway';
import { api, finalView, reviewConfig } from '../helpers/review';

/**
 * Issue 12's planted-secret test: a recognisable secret in every credential, header, query string,
 * model name, task header and reject reason; then every output channel is searched for it. Only
 * the owner's own answer (and its own error bodies) may echo what the owner sent.
 */
// Recognisable but low in entropy, so the prompt screening never takes it for a secret and blocks it.
const TAG = `PlantedZebra${randomInt(1000, 9999)}`;
const S = {
  caller: `gh_${TAG}_caller_key`,
  reviewer: `gh_${TAG}_reviewer_key`,
  admin: `gh_${TAG}_admin_key`,
  wrongKey: `gh_${TAG}_wrong_key`,
  header: `${TAG}-header`,
  query: `${TAG}-query`,
  model: `${TAG}-model`,
  task: `${TAG}-task`,
  prompt: `${TAG}-prompt`,
  reason: `${TAG}-reject-reason`,
  comment: `${TAG}-comment`,
};
const CODEC_KEY = Buffer.from(`${TAG}-codec-key-material`.padEnd(32, '!').slice(0, 32));
const CREDENTIAL_KEY = Buffer.from(`${TAG}-credential-private`.padEnd(32, '#').slice(0, 32));
const KEYS = [S.caller, S.reviewer, S.admin, S.wrongKey];
const KEY_MATERIAL = [CODEC_KEY.toString('base64'), CREDENTIAL_KEY.toString('base64')];

/** Every form in which a secret would be readable: the tag itself (all secrets carry it), whole-string base64, key material. */
const NEEDLES = [TAG, ...Object.values(S).map((s) => Buffer.from(s).toString('base64')), ...KEY_MATERIAL];

function found(haystack: string | Buffer, needles = NEEDLES): string[] {
  const buf = typeof haystack === 'string' ? Buffer.from(haystack) : haystack;
  return needles.filter((n) => buf.includes(Buffer.from(n)));
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('planted secrets never leave through any channel', () => {
  let gw: TestGateway;
  const logs: string[] = [];
  const errorBodies: string[] = [];
  const ids: string[] = [];
  const restore: Array<() => void> = [];
  let temporalDb: Buffer = Buffer.alloc(0);
  let ledgerFile: Buffer = Buffer.alloc(0);
  let ledgerRows = '';
  let history = Buffer.alloc(0);
  let uiCodecEndpoint: string | undefined;

  /** stdout/stderr of this process while the gateway runs (console output, the dev server's lines). */
  function tee(stream: NodeJS.WriteStream): void {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      logs.push(Buffer.from(chunk as string).toString());
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restore.push(() => (stream.write = write));
  }

  before(async () => {
    // Its own embedded dev server (with the UI), so its temporal.db and the UI's codec token are ours to inspect.
    const temporalPort = await freePortPair(27233 + Math.floor(Math.random() * 2000));
    tee(process.stdout);
    tee(process.stderr);
    gw = await startTestGateway({
      config: (u) =>
        reviewConfig(u, (c) => {
          c.callers.support.keyHash = hashApiKey(S.caller);
          c.callers.alice.keyHash = hashApiKey(S.reviewer);
          c.callers.ops = { team: 'ops', roles: ['admin'], keyHash: hashApiKey(S.admin) };
        }),
      env: {
        TEMPORAL_ADDRESS: '',
        GATEHOUSE_TEMPORAL_PORT: String(temporalPort),
        GATEHOUSE_PORT: String(await freePort()),
        GATEHOUSE_CODEC_KEY: CODEC_KEY.toString('base64'),
        GATEHOUSE_CREDENTIAL_KEY: CREDENTIAL_KEY.toString('base64'),
      },
      logger: pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) }),
    });
  });

  after(async () => {
    for (const r of restore) r();
    await gw?.close();
  });

  const caller = { authorization: `Bearer ${S.caller}`, 'x-planted': S.header };
  const errorOf = (res: { json: unknown }) => errorBodies.push(JSON.stringify(res.json));

  it('runs requests, refusals and a review with the planted values (the owner sees only its own)', async () => {
    const answered = await fetch(`${gw.url}/v1/chat/completions?api_key=${S.query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...caller },
      body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: S.prompt }] }),
    });
    assert.equal(answered.status, 200, await answered.clone().text());
    assert.match(await answered.text(), new RegExp(S.prompt), "the owner's own answer holds its prompt");
    ids.push(answered.headers.get('x-gatehouse-request-id')!);

    const badModel = await chat(gw.url, { model: S.model, messages: [{ role: 'user', content: S.prompt }] }, caller);
    assert.ok(badModel.status >= 400 && badModel.status < 500, JSON.stringify(badModel.json));
    const badTask = await chat(gw.url, { model: 'auto', messages: [{ role: 'user', content: S.prompt }] }, { ...caller, 'x-gatehouse-task': S.task });
    assert.ok(badTask.status >= 400 && badTask.status < 500, JSON.stringify(badTask.json));
    for (const r of [badModel, badTask]) if (r.headers.get('x-gatehouse-request-id')) ids.push(r.headers.get('x-gatehouse-request-id')!);
    // The owner's own error bodies may echo its own model and task, never a key, header or query value.
    for (const r of [badModel, badTask]) assert.deepEqual(found(JSON.stringify(r.json), [...KEYS, S.header, S.query, ...KEY_MATERIAL]), []);

    const wrong = await chat(`${gw.url}`, { model: 'auto', messages: [{ role: 'user', content: 'x' }] }, { authorization: `Bearer ${S.wrongKey}` });
    assert.equal(wrong.status, 401);
    errorOf(wrong);

    // A held request, rejected by the reviewer with a planted reason and comment.
    const held = await chat(gw.url, { model: 'auto', messages: [{ role: 'user', content: S.prompt }] }, { ...caller, 'x-gatehouse-task': 'draft' });
    assert.equal(held.status, 202, JSON.stringify(held.json));
    const id = held.json.id as string;
    ids.push(id);
    // A raw reviewer key sent around the API is refused before it reaches the history.
    await assert.rejects(gw.client.workflow.getHandle(id).executeUpdate(reviewUpdate, { args: [{ action: 'approve', credential: S.reviewer }] }));
    const rejected = await api(gw.url, 'POST', `/admin/reviews/${id}/reject?api_key=${S.query}`, { authorization: `Bearer ${S.reviewer}` }, { reason: S.reason, comment: S.comment });
    assert.equal(rejected.status, 200, JSON.stringify(rejected.json));
    const view = await finalView(gw.url, id, { authorization: `Bearer ${S.caller}` });
    assert.match(view.error.message, new RegExp(S.reason), 'the caller is told the reason');
    const other = await api(gw.url, 'GET', `/v1/requests/${id}`, { authorization: `Bearer ${S.wrongKey}` });
    errorOf(other);
  });

  it('the codec endpoint shows history to reviewers, admins and the embedded UI, but never a raw key', async () => {
    const raw = await Connection.connect({ address: gw.temporalAddress });
    try {
      const plain = new Client({ connection: raw }); // the raw API: no codec
      const payloads: Array<{ metadata: Record<string, string>; data: string }> = [];
      const histories: Buffer[] = [];
      for (const id of ids) {
        const h = await plain.workflow.getHandle(id).fetchHistory();
        histories.push(Buffer.from(temporal.api.history.v1.History.encode(h).finish()));
        collectPayloads(h, payloads);
      }
      history = Buffer.concat(histories);
      assert.ok(payloads.length > 5, `found ${payloads.length} payloads`);

      const settings = await fetch(`${gw.uiUrl}/api/v1/settings`).then((r) => r.json() as Promise<{ Codec?: { Endpoint?: string } }>).catch(() => undefined);
      uiCodecEndpoint = settings?.Codec?.Endpoint;
      const viewers: Array<[string, string, Record<string, string>]> = [
        ['reviewer', `${gw.url}/codec/decode`, { authorization: `Bearer ${S.reviewer}` }],
        ['admin', `${gw.url}/codec/decode`, { authorization: `Bearer ${S.admin}` }],
      ];
      // The embedded UI was given `/codec/<per-start token>` on this gateway (not "no key on loopback").
      assert.match(uiCodecEndpoint ?? '', new RegExp(`^${gw.url}/codec/[A-Za-z0-9_-]{32}$`), 'the UI knows its codec endpoint');
      viewers.push(['embedded UI', `${uiCodecEndpoint}/decode`, { origin: new URL(gw.uiUrl!).origin }]);
      for (const [who, url, headers] of viewers) {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ payloads }) });
        assert.equal(res.status, 200, who);
        const decoded = ((await res.json()) as { payloads: Array<{ data: string }> }).payloads.map((p) => Buffer.from(p.data, 'base64').toString()).join('\n');
        assert.match(decoded, new RegExp(S.prompt), `${who} reads the request`);
        assert.deepEqual(found(decoded, [...KEYS, ...KEY_MATERIAL, ...KEYS.map((k) => Buffer.from(k).toString('base64'))]), [], `${who} sees no raw key`);
        assert.ok(decoded.includes('ghsealed1.'), `${who} sees sealed envelopes`);
      }
      const refused: Array<Record<string, string>> = [{ authorization: `Bearer ${S.caller}` }, {}, { authorization: `Bearer ${S.wrongKey}` }];
      for (const headers of refused) {
        const res = await fetch(`${gw.url}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ payloads }) });
        assert.ok(res.status === 401 || res.status === 403);
        errorBodies.push(await res.text());
      }
    } finally {
      await raw.close();
    }
  });

  it('history via the raw API, temporal.db, the ledger, logs and error bodies hold none of it', async () => {
    ledgerRows = JSON.stringify(await Promise.all(ids.map((id) => gw.ledger.get(id))));
    for (const r of restore.splice(0)) r();
    // Stopped (dev server included) but not yet removed: its files are what is left on disk.
    const stopped = gw;
    gw = undefined as unknown as TestGateway;
    await stopped.stop();
    const read = (f: string) => (existsSync(f) ? readFileSync(f) : Buffer.alloc(0));
    temporalDb = Buffer.concat([read(join(stopped.dir, 'temporal.db')), read(join(stopped.dir, 'temporal.db-wal'))]);
    ledgerFile = Buffer.concat([read(join(stopped.dir, 'ledger.db')), read(join(stopped.dir, 'ledger.db-wal'))]);
    await stopped.mock.close();
    rmSync(stopped.dir, { recursive: true, force: true });
    assert.ok(temporalDb.includes(Buffer.from(ids[0]!)), 'the dev server kept these histories in temporal.db (so it was searched)');
    assert.ok(history.length > 0 && ledgerRows.includes('review_rejected'));
    const channels: Record<string, string | Buffer> = {
      'raw history': history,
      'temporal.db': temporalDb,
      'ledger rows': ledgerRows,
      'ledger file': ledgerFile,
      'logs, stdout and stderr': logs.join(''),
      'error bodies': errorBodies.join('\n'),
    };
    for (const [name, content] of Object.entries(channels)) assert.deepEqual(found(content), [], `${name} hold planted values`);
    assert.ok(logs.some((l) => l.includes('/v1/chat/completions')), 'request lines were logged (so they were searched)');
  });
});

/** Every payload of a history as the codec endpoint's JSON (base64 metadata and data). */
function collectPayloads(value: unknown, out: Array<{ metadata: Record<string, string>; data: string }>, depth = 0): void {
  if (!value || typeof value !== 'object' || depth > 40) return;
  const v = value as { metadata?: Record<string, Uint8Array>; data?: Uint8Array };
  if (v.data instanceof Uint8Array && v.metadata && typeof v.metadata === 'object' && 'encoding' in v.metadata) {
    out.push({ metadata: Object.fromEntries(Object.entries(v.metadata).map(([k, b]) => [k, Buffer.from(b).toString('base64')])), data: Buffer.from(v.data).toString('base64') });
    return;
  }
  for (const child of Object.values(value)) collectPayloads(child, out, depth + 1);
}
