import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { withOutputCap } from '../../activities/callProvider';
import { openAICompatibleKind, openAIKind } from '../../src/providers/openai';
import { MIN_ANSWER_TOKENS, affordableOutputTokens, costOf, outputCap, type Price } from '../../src/cost';
import { GatewayError } from '../../src/errors';
import { BudgetGuard, LimitsSchema } from '../../src/limits';
import { openDatabase } from '../../src/db';
import { capPlanToBudget, type Candidate, type RoutePlan } from '../../src/routing';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cap-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** $1 per 1M input tokens, $10 per 1M output tokens. */
const price: Price = { inputPerMTok: 1, outputPerMTok: 10, source: 'override' };
const dearer: Price = { inputPerMTok: 5, outputPerMTok: 50, source: 'override' };
const free: Price = { inputPerMTok: 0, outputPerMTok: 0, source: 'unknown' };

describe('output cap from the budget', () => {
  it('buys exactly what the reservation pays for after the prompt', () => {
    const usd = costOf({ prompt_tokens: 1000, completion_tokens: 1024 }, price);
    assert.equal(affordableOutputTokens(usd, 1000, price), 1024);
    assert.equal(affordableOutputTokens(usd - 1e-9, 1000, price), 1023); // a part token is not bought
    assert.ok(affordableOutputTokens(0.0005, 1000, price) < 0, 'the prompt alone does not fit');
    assert.equal(affordableOutputTokens(0, 0, free), Infinity);
  });

  it('a capped answer never costs more than the reservation when the prompt estimate holds', () => {
    for (const reservedUsd of [0.0011, 0.003, 0.05, 1]) {
      for (const requested of [1, 100, 4096, 1_000_000]) {
        const cap = outputCap({ reservedUsd, promptTokens: 100, price, requested });
        assert.ok(cap <= requested);
        assert.ok(costOf({ prompt_tokens: 100, completion_tokens: cap }, price) <= reservedUsd + 1e-12, `${reservedUsd} ${requested} -> ${cap}`);
      }
    }
  });

  it("keeps a caller's lower limit; lowers a higher one; a free model keeps the request's", () => {
    assert.equal(outputCap({ reservedUsd: 1, promptTokens: 10, price, requested: 50 }), 50);
    assert.equal(outputCap({ reservedUsd: 0.001, promptTokens: 0, price, requested: 50_000 }), 100);
    assert.equal(outputCap({ reservedUsd: 0, promptTokens: 10, price: free, requested: 700 }), 700);
  });
});

const cand = (model: string): Candidate => ({ model, provider: 'p', upstream: model });
const plan = (models: string[]): RoutePlan =>
  ({ route: 'chat', candidates: models.map(cand), retries: 0, stage: 'stable', explanation: 'chat: primary' }) as unknown as RoutePlan;

describe('capPlanToBudget', () => {
  it('caps each candidate at its own price and drops one that cannot answer minimally within the reservation', () => {
    const capped = capPlanToBudget(plan(['cheap', 'dear']), {
      reservedUsd: 0.001,
      promptTokens: 0,
      requested: 4096,
      priceOf: (c) => (c.model === 'cheap' ? price : { ...dearer, outputPerMTok: 0.001 / (MIN_ANSWER_TOKENS - 1) * 1e6 }),
    });
    assert.deepEqual(capped.candidates.map((c) => [c.model, c.maxOutputTokens]), [['cheap', 100]]);
    assert.match(capped.explanation, /cheap: answer capped at 100 tokens by the budget; dear: over budget/);
  });

  it('a caller asking for fewer tokens than the minimal answer still gets them', () => {
    const capped = capPlanToBudget(plan(['cheap']), { reservedUsd: 1, promptTokens: 10, requested: 5, priceOf: () => price });
    assert.equal(capped.candidates[0]?.maxOutputTokens, 5);
  });

  it('leaves the explanation alone when nothing is lowered', () => {
    const capped = capPlanToBudget(plan(['cheap']), { reservedUsd: 1, promptTokens: 10, requested: 64, priceOf: () => price });
    assert.equal(capped.candidates[0]?.maxOutputTokens, 64);
    assert.equal(capped.explanation, 'chat: primary');
  });
});

describe('BudgetGuard.reserve with minUsd', () => {
  const limits = LimitsSchema.parse({ callerBudgets: { bot: { dailyUsd: 0.05 } } });
  const now = new Date('2025-06-06T12:00:00Z');

  it('reserves what is left when the estimate does not fit, and refuses below the minimum', async () => {
    const g = new BudgetGuard(limits, await openDatabase(join(dir, 'min.db')));
    assert.deepEqual(await g.reserve({ requestId: 'a', caller: 'bot', estimateUsd: 0.03, minUsd: 0.001, now }), { decision: 'ok', reservedUsd: 0.03, limited: true });
    const b = await g.reserve({ requestId: 'b', caller: 'bot', estimateUsd: 0.03, minUsd: 0.001, now });
    assert.equal(b.reservedUsd, 0.02);
    assert.equal((await g.reserve({ requestId: 'b', caller: 'bot', estimateUsd: 0.03, minUsd: 0.001, now })).reservedUsd, 0.02, 'a retried reserve keeps its amount');
    await assert.rejects(g.reserve({ requestId: 'c', caller: 'bot', estimateUsd: 0.03, minUsd: 0.001, now }), (e) => e instanceof GatewayError && e.code === 'budget_exceeded');
    assert.deepEqual(await g.spent('caller', 'bot', now), { dailyUsd: 0.05, monthlyUsd: 0.05 });
  });

  it('a caller with no budget reserves the estimate and is not limited', async () => {
    const g = new BudgetGuard(limits, await openDatabase(join(dir, 'free.db')));
    assert.deepEqual(await g.reserve({ requestId: 'x', caller: 'other', estimateUsd: 5, minUsd: 1, now }), { decision: 'ok', reservedUsd: 5, limited: false });
  });
});

describe('withOutputCap (the provider request)', () => {
  const body = { model: 'auto', messages: [{ role: 'user' as const, content: 'hi' }] };
  it('sets the cap when the caller set none, in the field the provider kind knows', () => {
    assert.equal(withOutputCap(body, 300, 'max_completion_tokens').max_completion_tokens, 300);
    assert.equal(withOutputCap(body, 300, 'max_tokens').max_tokens, 300);
    assert.equal(withOutputCap(body, undefined, 'max_completion_tokens'), body);
  });
  it('OpenAI itself takes the cap as max_completion_tokens, compatible servers as max_tokens', () => {
    const ctx = { name: 'p', env: {} };
    assert.equal(openAIKind.create({ kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1' }, ctx).outputCapField, 'max_completion_tokens');
    assert.equal(openAICompatibleKind.create({ kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' }, ctx).outputCapField, 'max_tokens');
  });
  it("lowers a caller's larger limit and keeps a smaller one", () => {
    assert.equal(withOutputCap({ ...body, max_tokens: 5000 }, 300).max_tokens, 300);
    assert.equal(withOutputCap({ ...body, max_completion_tokens: 200 }, 300).max_completion_tokens, 200);
    const both = withOutputCap({ ...body, max_tokens: 900, max_completion_tokens: 800 }, 300);
    assert.deepEqual([both.max_tokens, both.max_completion_tokens], [300, 300]);
  });
});
