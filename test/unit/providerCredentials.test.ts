import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfigObject } from '../../src/config';
import { createProviders, UpstreamError } from '../../src/providers';
import { buildAnswer } from '../../src/mock';
import { completionObject } from '../../src/mock/completion';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-creds-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An upstream that answers every chat completion and remembers the bearer token of each. */
const seen: string[] = [];
let url = '';
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    seen.push(req.headers.authorization ?? '');
    const answer = completionObject({ id: 'x', created: 0, model: 'm' }, buildAnswer(JSON.parse(body)));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
});
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => server.close());

const providerFor = (p: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
  const config = parseConfigObject({
    providers: { up: { kind: 'openai-compatible', baseUrl: url, ...p } },
    models: { m: { provider: 'up', upstream: 'm' } },
    callers: {},
    routes: [{ name: 'chat', match: { task: 'chat' }, primary: 'm' }],
  });
  return createProviders(config, env).get('up')!;
};
const ask = (p: ReturnType<typeof providerFor>) => p.complete('m', { model: 'm', messages: [{ role: 'user', content: 'hi' }] }, { timeoutMs: 5000, signal: new AbortController().signal });
/** Replaces the file the way secret managers do: a new file renamed over the old one. */
const replace = (file: string, text: string) => {
  writeFileSync(`${file}.new`, text);
  renameSync(`${file}.new`, file);
};

describe('provider keys from files, re-read without a restart', () => {
  it('apiKeyFile: each call uses the key in the file now; a rotated file is picked up by the next call', async () => {
    const file = join(dir, 'openai-key');
    writeFileSync(file, 'sk-first\n');
    const provider = providerFor({ apiKeyFile: file });
    await ask(provider);
    replace(file, 'sk-second');
    await ask(provider);
    await ask(provider);
    assert.deepEqual(seen.splice(0), ['Bearer sk-first', 'Bearer sk-second', 'Bearer sk-second']);
  });

  it('<apiKeyEnv>_FILE in the environment wins over the variable itself', async () => {
    const file = join(dir, 'env-key');
    writeFileSync(file, 'sk-from-file');
    await ask(providerFor({ apiKeyEnv: 'UP_KEY' }, { UP_KEY: 'sk-from-env', UP_KEY_FILE: file }));
    await ask(providerFor({ apiKeyEnv: 'UP_KEY' }, { UP_KEY: 'sk-from-env' }));
    assert.deepEqual(seen.splice(0), ['Bearer sk-from-file', 'Bearer sk-from-env']);
  });

  it('a missing or empty key file fails the call as the provider 401 (routes fall back), naming the file, never a key', async () => {
    const file = join(dir, 'gone-key');
    writeFileSync(file, 'sk-soon-gone');
    const provider = providerFor({ apiKeyFile: file });
    unlinkSync(file);
    await assert.rejects(ask(provider), (e) => e instanceof UpstreamError && e.status === 401 && e.message.includes(file));
    writeFileSync(file, '  \n');
    await assert.rejects(ask(provider), (e) => e instanceof UpstreamError && e.status === 401);
    replace(file, 'sk-back');
    await ask(provider);
    assert.deepEqual(seen.splice(0), ['Bearer sk-back']);
  });
});
