import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ProviderSchema as ConfigProviderSchema, parseConfigObject } from '../../src/config';
import { priceFor } from '../../src/cost';
import { PROVIDER_KINDS, ProviderSchema, createProviders, pricingOf, providerKind } from '../../src/providers';
import { TABLE_END, TABLE_START, providerTable } from '../../src/providers/docs';
import { defineProvider } from '../../src/providers/kind';

const configWith = (providers: Record<string, unknown>) =>
  parseConfigObject({
    providers,
    models: Object.fromEntries(Object.keys(providers).map((p) => [`m-${p}`, { provider: p, upstream: 'gpt-4o-mini' }])),
    callers: {},
    routes: [{ name: 'chat', match: { task: 'chat' }, primary: `m-${Object.keys(providers)[0]}` }],
  });

describe('provider registry', () => {
  it('the config accepts exactly the registered kinds, each by its own schema', () => {
    assert.deepEqual(PROVIDER_KINDS.map((k) => k.kind), ['openai', 'openai-compatible', 'anthropic', 'azure-openai', 'gemini', 'bedrock', 'mock']);
    assert.equal(ConfigProviderSchema, ProviderSchema); // the config's provider schema is the registry's union
    assert.equal(ProviderSchema.options.length, PROVIDER_KINDS.length);
    const config = configWith({
      local: { kind: 'mock' },
      openai: { kind: 'openai', baseUrl: 'https://api.openai.com/v1', apiKeyEnv: 'OPENAI_API_KEY' },
      vllm: { kind: 'openai-compatible', baseUrl: 'http://10.0.0.5:8000/v1', apiKeyFile: '/run/secrets/vllm' },
    });
    assert.deepEqual(config.providers.openai, { kind: 'openai', baseUrl: 'https://api.openai.com/v1', apiKeyEnv: 'OPENAI_API_KEY' });
    assert.deepEqual(config.providers.vllm, { kind: 'openai-compatible', baseUrl: 'http://10.0.0.5:8000/v1', apiKeyFile: '/run/secrets/vllm' });
    assert.deepEqual(config.providers.local, { kind: 'mock' });
  });

  it('an unknown kind, or a kind without its required settings, is refused by path', () => {
    const unknown = ProviderSchema.safeParse({ kind: 'carrier-pigeon' });
    assert.equal(unknown.success, false);
    assert.deepEqual(unknown.error?.issues[0]?.path, ['kind']);
    const noUrl = ProviderSchema.safeParse({ kind: 'openai' });
    assert.equal(noUrl.success, false);
    assert.deepEqual(noUrl.error?.issues[0]?.path, ['baseUrl']);
  });

  it('createProviders finds each adapter by kind; the mock kind needs the built-in server running', () => {
    const config = configWith({ local: { kind: 'mock' }, up: { kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' } });
    assert.throws(() => createProviders(config, {}), /provider "local" is the built-in mock, but the mock server is not running/);
    const providers = createProviders(config, {}, 'http://127.0.0.1:9/v1');
    assert.deepEqual([...providers.keys()], ['local', 'up']);
    for (const p of providers.values()) assert.equal(typeof p.stream, 'function');
  });

  it('a kind declares how its models are priced; the price table follows it', () => {
    assert.deepEqual(pricingOf('mock'), { by: 'none' });
    assert.deepEqual(pricingOf('openai-compatible'), { by: 'model' });
    assert.deepEqual(pricingOf('openai'), { by: 'provider', providerId: 'openai' });
    // Azure: genai-prices' own table (Azure names such as gpt-35-turbo), by deployment name.
    assert.deepEqual(priceFor('azure-openai', 'gpt-35-turbo').catalog, { provider: 'azure', model: 'gpt-3.5-turbo' });
    assert.equal(priceFor('azure-openai', 'chat-prod').source, 'unknown'); // a deployment not named after its model needs `price`
    assert.deepEqual(pricingOf('anthropic'), { by: 'provider', providerId: 'anthropic' });
    assert.deepEqual(priceFor('anthropic', 'claude-sonnet-4-6').catalog, { provider: 'anthropic', model: 'claude-sonnet-4-6' });
    assert.equal(pricingOf('genai-only-id'), undefined); // not a kind: a genai-prices id to priceFor
    assert.equal(priceFor('mock', 'gpt-4o-mini').source, 'unknown');
    assert.equal(priceFor('openai-compatible', 'gpt-4o-mini').source, 'genai-prices');
    assert.deepEqual(priceFor('openai', 'gpt-4o-mini').catalog, { provider: 'openai', model: 'gpt-4o-mini' });
    assert.equal(providerKind('nope'), undefined);
  });

  it('a kind whose schema names another kind is refused when declared', () => {
    const declare = () =>
      defineProvider({
        kind: 'acme',
        schema: z.object({ kind: z.literal('other') }) as never,
        pricing: { by: 'model' },
        doc: { sdk: '-', reaches: '-' },
        create: () => ({ complete: async () => Promise.reject(new Error('unused')) }),
      });
    assert.throws(declare, /provider kind "acme": its schema's kind is "other"/);
  });

  it('docs/config.md lists exactly the registered kinds (the test prints the table to paste)', () => {
    const doc = readFileSync(join(__dirname, '../../docs/config.md'), 'utf8');
    const start = doc.indexOf(TABLE_START);
    const end = doc.indexOf(TABLE_END);
    assert.ok(start >= 0 && end > start, `docs/config.md needs the markers ${TABLE_START} … ${TABLE_END}`);
    const inDoc = doc.slice(start + TABLE_START.length, end).trim();
    assert.equal(inDoc, providerTable(), `docs/config.md's provider table is stale; it should read:\n${providerTable()}`);
    for (const k of PROVIDER_KINDS) assert.match(inDoc, new RegExp(`^\\| \`${k.kind}\` \\|`, 'm'));
  });

  it('the adapters and their SDKs stay out of the CPU-pool threads and the workflow code', () => {
    // A fresh process: this one has loaded the registry already. Each CPU thread and workflow bundle pays for what it imports.
    const probe = `
      require('./src/admission/tasks.ts');
      require('./workflows/index.ts');
      const loaded = Object.keys(require.cache).filter((f) => /node_modules\\/(openai|@anthropic-ai)\\/|src\\/providers\\/registry|src\\/mock\\//.test(f));
      process.stdout.write(JSON.stringify(loaded));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', probe], { cwd: join(__dirname, '../..'), encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), []);
  });
});
