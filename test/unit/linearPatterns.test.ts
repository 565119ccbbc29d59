import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeRequest } from '../../src/admission/admit';
import { INLINE_ONLY } from '../../src/admission/cpuPool';
import { GatewayError } from '../../src/errors';
import { responseFormatError, validateOutput, ValidationRulesSchema, type ValidationRules } from '../../src/validation';
import { compileLinear, compileRulePattern } from '../../src/validation/regex';

const CATASTROPHIC = '^(a+)+$';
const evil = (k: number) => `${'a'.repeat(k)}!`;
const schemaFormat = (schema: object) => ({ type: 'json_schema', json_schema: { name: 'x', schema } });

/** Runs fn and returns [result, ms]. A backtracking engine takes ~1 s at k=40 and hours at k=80. */
function clocked<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const r = fn();
  return [r, performance.now() - t0];
}

describe('caller patterns run on a linear-time engine (RE2)', () => {
  for (const k of [40, 80, 100_000]) {
    it(`response_format pattern ${CATASTROPHIC} against "a"×${k}+"!" answers promptly`, () => {
      const format = schemaFormat({ type: 'object', properties: { a: { type: 'string', pattern: CATASTROPHIC } } });
      const [result, ms] = clocked(() => validateOutput(JSON.stringify({ a: evil(k) }), undefined, format));
      assert.equal(result.ok, false);
      assert.match(result.summary, /must match pattern/);
      assert.ok(ms < 1000, `${ms.toFixed(0)} ms`);
      assert.equal(validateOutput(JSON.stringify({ a: 'aaaa' }), undefined, format).ok, true);
    });
  }

  it('patternProperties keys go through RE2 too', () => {
    const format = schemaFormat({ type: 'object', patternProperties: { [CATASTROPHIC]: { type: 'number' } } });
    const answer = JSON.stringify({ [evil(80)]: 'x', aaa: 1 });
    const [result, ms] = clocked(() => validateOutput(answer, undefined, format));
    assert.equal(result.ok, true); // the evil key does not match the pattern, so its value is free
    assert.ok(ms < 1000, `${ms.toFixed(0)} ms`);
    assert.equal(validateOutput(JSON.stringify({ aaa: 'x' }), undefined, format).ok, false);
  });

  it('JavaScript spellings still work: \\u escapes, named groups, [^], \\d', () => {
    assert.ok(compileLinear('^caf\\u00e9$').test('café'));
    assert.ok(compileLinear('(?<year>\\d{4})-\\d{2}').test('2024-05'));
    assert.ok(compileLinear('^[^]+$').test('a\nb'));
  });

  for (const pattern of ['(?=a)b', '(?!a)b', '(?<=a)b', '(?<!a)b', '(a)\\1']) {
    it(`refuses ${pattern} (lookaround / backreference) with a clear message`, () => {
      assert.throws(() => compileLinear(pattern), /cannot be used: .*linear-time engine, RE2: no lookahead, lookbehind or backreferences/);
      const error = responseFormatError(schemaFormat({ type: 'string', pattern }));
      assert.match(error ?? '', /response_format json_schema does not compile: .*cannot be used/);
    });
  }

  it('admission refuses an unusable response_format with 400 invalid_response_format', async () => {
    const body = { model: 'auto', messages: [{ role: 'user' as const, content: 'hi' }], response_format: schemaFormat({ type: 'string', pattern: '(?=x)' }) };
    const err = await analyzeRequest(INLINE_ONLY, body).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof GatewayError, String(err));
    assert.equal(err.status, 400);
    assert.equal(err.code, 'invalid_response_format');
    assert.equal(err.param, 'response_format');
    const fine = await analyzeRequest(INLINE_ONLY, { ...body, response_format: schemaFormat({ type: 'string', pattern: CATASTROPHIC }) });
    assert.ok(fine.promptTokens > 0);
  });
});

describe('config patterns run on RE2 too', () => {
  it('mustMatch / mustNotMatch keep (?i) and stay linear on catastrophic patterns', () => {
    assert.ok(compileRulePattern('(?i)^ANSWER:').test('answer: 42'));
    assert.ok(!compileRulePattern('as an ai').test('As An AI'));
    const rules = ValidationRulesSchema.parse({ mustNotMatch: [CATASTROPHIC] }) as ValidationRules;
    const [result, ms] = clocked(() => validateOutput(evil(100_000), rules));
    assert.equal(result.ok, true);
    assert.ok(ms < 1000, `${ms.toFixed(0)} ms`);
  });

  it('a config pattern or jsonSchema pattern RE2 cannot run fails config validation with its path', () => {
    const bad = ValidationRulesSchema.safeParse({ mustMatch: ['ok', '^(?!as an ai)'] });
    assert.equal(bad.success, false);
    const issue = bad.error?.issues.find((i) => JSON.stringify(i.path) === '["mustMatch",1]');
    assert.match(issue?.message ?? '', /invalid regex: pattern "\^\(\?!as an ai\)" cannot be used/);
    const badSchema = ValidationRulesSchema.safeParse({ jsonSchema: { type: 'string', pattern: '(\\w)\\1' } });
    assert.equal(badSchema.success, false);
    assert.match(badSchema.error?.issues[0]?.message ?? '', /invalid JSON Schema: .*cannot be used/);
  });
});
