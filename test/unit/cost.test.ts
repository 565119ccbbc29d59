import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeChat } from 'gpt-tokenizer/model/gpt-4o';
import {
  PriceOverrideSchema,
  costOf,
  estimateRequestCost,
  estimateTokens,
  formatUsd,
  priceFor,
  priceOverridesFromModels,
  type Price,
} from '../../src/cost';

describe('estimateTokens', () => {
  it('matches the tokenizer’s own chat encoding for gpt-4o', () => {
    const messages = [
      { role: 'system' as const, content: 'You are a helpful assistant.' },
      { role: 'user' as const, content: 'What is the capital of France? Answer in one word.' },
    ];
    assert.equal(estimateTokens(messages, 'gpt-4o'), encodeChat(messages).length);
  });

  it('grows with the text, counts per-message overhead, names and image parts', () => {
    const one = estimateTokens([{ role: 'user', content: 'Hello' }]);
    assert.equal(one, 3 + 1 + 1 + 3); // framing + role + "Hello" + reply priming
    const long = estimateTokens([{ role: 'user', content: 'Hello '.repeat(1000) }]);
    assert.ok(long > 900 && long < 1100, `${long}`);
    assert.equal(estimateTokens([{ role: 'user', content: 'Hello', name: 'bob' }]), one + 2);
    const withImage = estimateTokens([{ role: 'user', content: [{ type: 'text', text: 'Hello' }, { type: 'image_url', image_url: { url: 'x' } }] }]);
    assert.equal(withImage, one + 765);
    assert.equal(estimateTokens([{ role: 'assistant', content: null }]), 3 + 1 + 3);
  });

  it('uses cl100k for gpt-4 / gpt-3.5 and o200k otherwise, both sane', () => {
    const text = [{ role: 'user' as const, content: 'Tokenizers differ a little between model generations, unsurprisingly.' }];
    const legacy = estimateTokens(text, 'gpt-3.5-turbo');
    const modern = estimateTokens(text, 'gpt-4o-mini');
    assert.ok(legacy > 10 && modern > 10 && Math.abs(legacy - modern) <= 4, `${legacy} vs ${modern}`);
  });
});

describe('priceFor', () => {
  it('prices a known OpenAI model from genai-prices', () => {
    const p = priceFor('openai', 'gpt-4o-mini');
    assert.equal(p.source, 'genai-prices');
    assert.ok(p.inputPerMTok > 0 && p.outputPerMTok > p.inputPerMTok, JSON.stringify(p));
    assert.deepEqual(p.catalog, { provider: 'openai', model: 'gpt-4o-mini' });
    assert.equal(priceFor('openai', 'gpt-4o-mini-2024-07-18').inputPerMTok, p.inputPerMTok);
  });

  it('matches by model name for openai-compatible and unknown provider names', () => {
    assert.equal(priceFor('openai-compatible', 'gpt-4o-mini').source, 'genai-prices');
    assert.equal(priceFor('some-vllm', 'gpt-4o-mini').source, 'genai-prices');
  });

  it('lets a config override win', () => {
    const p = priceFor('openai', 'gpt-4o-mini', { 'gpt-4o-mini': { inputPerMTok: 1, outputPerMTok: 2 } });
    assert.deepEqual(p, { inputPerMTok: 1, outputPerMTok: 2, source: 'override' });
    assert.deepEqual(priceFor('mock', 'mock-small', { 'mock-small': { inputPerMTok: 0.5, outputPerMTok: 1 } }).inputPerMTok, 0.5);
  });

  it('returns an explicit zero for unknown models without throwing', () => {
    for (const [provider, model] of [['mock', 'mock-small'], ['openai', 'no-such-model'], ['nowhere', 'mystery-1'], ['mock', 'gpt-4o']]) {
      assert.deepEqual(priceFor(provider!, model!), { inputPerMTok: 0, outputPerMTok: 0, source: 'unknown' });
    }
  });

  it('keeps long-context tiers', () => {
    const p = priceFor('google', 'gemini-1.5-pro');
    assert.equal(p.source, 'genai-prices');
    assert.ok(p.inputTiers && p.inputTiers.length > 0);
    const small = costOf({ prompt_tokens: 1000, completion_tokens: 0 }, p);
    const big = costOf({ prompt_tokens: 1_000_000, completion_tokens: 0 }, p);
    assert.ok(big / 1000 > small, 'the tier above 128k tokens costs more per token');
  });

  it('validates override config and builds the map from models', () => {
    assert.ok(PriceOverrideSchema.safeParse({ inputPerMTok: 0.15, outputPerMTok: 0.6 }).success);
    assert.ok(!PriceOverrideSchema.safeParse({ inputPerMTok: -1, outputPerMTok: 0.6 }).success);
    assert.ok(!PriceOverrideSchema.safeParse({ inputPerMTok: 1 }).success);
    const models = { a: { upstream: 'mock-small', price: { inputPerMTok: 1, outputPerMTok: 2 } }, b: { upstream: 'gpt-4o' } };
    assert.deepEqual(priceOverridesFromModels(models), { 'mock-small': { inputPerMTok: 1, outputPerMTok: 2 } });
  });
});

describe('costOf and estimateRequestCost', () => {
  const price: Price = { inputPerMTok: 0.15, outputPerMTok: 0.6, source: 'override' };

  it('is tokens × USD per million', () => {
    assert.equal(costOf({ prompt_tokens: 1_000_000, completion_tokens: 0 }, price), 0.15);
    assert.ok(Math.abs(costOf({ prompt_tokens: 1000, completion_tokens: 500 }, price) - (0.00015 + 0.0003)) < 1e-12);
    assert.equal(costOf({ prompt_tokens: 1000, completion_tokens: 500 }, priceFor('mock', 'mock-small')), 0);
  });

  it('estimates prompt plus every allowed output token', () => {
    const est = estimateRequestCost({ upstreamModel: 'gpt-4o-mini', provider: 'openai', promptTokens: 2000, maxOutputTokens: 1000 });
    const want = costOf({ prompt_tokens: 2000, completion_tokens: 1000 }, priceFor('openai', 'gpt-4o-mini'));
    assert.equal(est.usd, want);
    assert.ok(est.usd > 0);
    const overridden = estimateRequestCost(
      { upstreamModel: 'mock-small', provider: 'mock', promptTokens: 1_000_000, maxOutputTokens: 1_000_000 },
      { 'mock-small': { inputPerMTok: 1, outputPerMTok: 2 } },
    );
    assert.equal(overridden.usd, 3);
  });
});

describe('costOf with cached prompt tokens', () => {
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

  it('cache reads and writes at the catalogue\'s cache rates (Anthropic: reads 0.1×, writes 1.25× input)', () => {
    const p = priceFor('anthropic', 'claude-haiku-4-5');
    assert.deepEqual([p.inputPerMTok, p.cacheReadPerMTok, p.cacheWritePerMTok, p.outputPerMTok], [1, 0.1, 1.25, 5]);
    // 1000 prompt tokens = 200 plain + 600 read from cache + 200 written to it.
    const usage = { prompt_tokens: 1000, completion_tokens: 100, prompt_tokens_details: { cached_tokens: 600 }, cache_creation_input_tokens: 200 };
    close(costOf(usage, p), (200 * 1 + 600 * 0.1 + 200 * 1.25 + 100 * 5) / 1e6);
    close(costOf({ prompt_tokens: 1000, completion_tokens: 100 }, p), (1000 * 1 + 100 * 5) / 1e6); // no cache fields: all plain input
  });

  it('OpenAI cached_tokens at its cache-read rate; an override without cache rates prices them as input', () => {
    const usage = { prompt_tokens: 1000, completion_tokens: 0, prompt_tokens_details: { cached_tokens: 1000 } };
    close(costOf(usage, priceFor('openai', 'gpt-4o-mini')), (1000 * 0.075) / 1e6);
    close(costOf(usage, { inputPerMTok: 0.15, outputPerMTok: 0.6, source: 'override' }), (1000 * 0.15) / 1e6);
  });

  it('never counts more cached tokens than the prompt has, and ignores garbage counts', () => {
    const p: Price = { inputPerMTok: 1, outputPerMTok: 0, cacheReadPerMTok: 0.5, cacheWritePerMTok: 2, source: 'override' };
    close(costOf({ prompt_tokens: 100, completion_tokens: 0, prompt_tokens_details: { cached_tokens: 80 }, cache_creation_input_tokens: 50 }, p), (80 * 0.5 + 20 * 2) / 1e6);
    close(costOf({ prompt_tokens: 100, completion_tokens: 0, prompt_tokens_details: { cached_tokens: 'x' }, cache_creation_input_tokens: -5 }, p), 100 / 1e6);
  });
});

describe('formatUsd', () => {
  it('shows as many decimals as the amount needs, at least two', () => {
    assert.equal(formatUsd(50), '$50.00');
    assert.equal(formatUsd(1.5), '$1.50');
    assert.equal(formatUsd(0.002), '$0.002');
    assert.equal(formatUsd(0.015), '$0.015');
    assert.equal(formatUsd(0.000015), '$0.000015');
    assert.equal(formatUsd(1 / 3), '$0.33333333');
  });
});
