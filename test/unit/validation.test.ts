import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compileJsonSchema,
  JsonSchemaCache,
  repairInstruction,
  validateOutput,
  ValidationRulesSchema,
  type CheckName,
  type ValidationResult,
  type ValidationRules,
} from '../../src/validation';

/** Parses rules through the config schema, as startup does (fills onFailure's default). */
function rules(input: Record<string, unknown>): ValidationRules {
  return ValidationRulesSchema.parse(input);
}

/** The single check of the given name; fails the test when there is not exactly one. */
function onlyCheck(result: ValidationResult, name: CheckName) {
  const found = result.checks.filter((c) => c.check === name);
  assert.equal(found.length, 1, `expected one ${name} check, got ${JSON.stringify(result.checks)}`);
  return found[0]!;
}

/** Every piece of text a result exposes: messages and summary. */
function allText(result: ValidationResult): string {
  return [result.summary, ...result.checks.map((c) => c.message ?? '')].join('\n');
}

const ANSWER_SCHEMA = { type: 'object', required: ['answer'], properties: { answer: { type: 'string' } } };

describe('validateOutput: each check alone', () => {
  const cases: { name: string; rules: Record<string, unknown>; answer: string; check: CheckName; ok: boolean; message?: RegExp }[] = [
    { name: 'max_chars pass', rules: { maxChars: 5 }, answer: 'hello', check: 'max_chars', ok: true },
    { name: 'max_chars fail', rules: { maxChars: 4 }, answer: 'hello', check: 'max_chars', ok: false, message: /5 characters, limit is 4/ },
    { name: 'max_chars counts code points', rules: { maxChars: 2 }, answer: '😀😀', check: 'max_chars', ok: true },
    { name: 'must_match pass', rules: { mustMatch: ['^\\{'] }, answer: '{"a":1}', check: 'must_match', ok: true },
    { name: 'must_match fail', rules: { mustMatch: ['^\\{'] }, answer: 'nope', check: 'must_match', ok: false, message: /required pattern \^\\\{/ },
    { name: 'must_not_match pass', rules: { mustNotMatch: ['as an ai'] }, answer: 'Sure.', check: 'must_not_match', ok: true },
    { name: 'must_not_match is case-sensitive without (?i)', rules: { mustNotMatch: ['as an ai'] }, answer: 'As An AI, I…', check: 'must_not_match', ok: true },
    { name: 'must_not_match (?i) fail', rules: { mustNotMatch: ['(?i)as an ai'] }, answer: 'As An AI, I…', check: 'must_not_match', ok: false, message: /forbidden pattern \(\?i\)as an ai/ },
    { name: 'must_match (?i) pass', rules: { mustMatch: ['(?i)^ANSWER:'] }, answer: 'answer: 42', check: 'must_match', ok: true },
    { name: 'json_schema pass', rules: { jsonSchema: ANSWER_SCHEMA }, answer: '{"answer":"x"}', check: 'json_schema', ok: true },
    { name: 'json_schema fail', rules: { jsonSchema: ANSWER_SCHEMA }, answer: '{"answer":7}', check: 'json_schema', ok: false, message: /config jsonSchema: \/answer must be string/ },
    { name: 'json_schema missing field', rules: { jsonSchema: ANSWER_SCHEMA }, answer: '{}', check: 'json_schema', ok: false, message: /must have required property 'answer'/ },
    { name: 'json_schema with format', rules: { jsonSchema: { type: 'string', format: 'email' } }, answer: '"nope"', check: 'json_schema', ok: false, message: /must match format "email"/ },
    { name: 'json_parse fail', rules: { jsonSchema: ANSWER_SCHEMA }, answer: 'not json', check: 'json_parse', ok: false, message: /^answer is not valid JSON$/ },
    { name: 'fields pass', rules: { fields: { answer: 'string', confidence: 'number?' } }, answer: '{"answer":"x","extra":true}', check: 'fields', ok: true },
    { name: 'fields optional present', rules: { fields: { answer: 'string', confidence: 'number?' } }, answer: '{"answer":"x","confidence":0.9}', check: 'fields', ok: true },
    { name: 'fields required missing', rules: { fields: { answer: 'string' } }, answer: '{}', check: 'fields', ok: false, message: /\/answer is required \(string\)/ },
    { name: 'fields wrong type', rules: { fields: { answer: 'string', confidence: 'number?' } }, answer: '{"answer":"x","confidence":"high"}', check: 'fields', ok: false, message: /\/confidence expected number/ },
    { name: 'fields array and object', rules: { fields: { tags: 'array', meta: 'object', done: 'boolean' } }, answer: '{"tags":[],"meta":{},"done":false}', check: 'fields', ok: true },
    { name: 'fields on a non-object', rules: { fields: { answer: 'string' } }, answer: '[1]', check: 'fields', ok: false, message: /\(root\) expected object/ },
    { name: 'sensitive_output pass', rules: { sensitiveOutput: 'block' }, answer: 'The capital of France is Paris.', check: 'sensitive_output', ok: true },
    { name: 'sensitive_output off ignores', rules: { sensitiveOutput: 'off', maxChars: 100 }, answer: 'card 4111 1111 1111 1111', check: 'max_chars', ok: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = validateOutput(c.answer, rules(c.rules));
      const check = onlyCheck(result, c.check);
      assert.equal(check.ok, c.ok);
      assert.equal(result.ok, c.ok);
      if (c.message) assert.match(check.message ?? '', c.message);
      if (c.ok) assert.equal(check.message, undefined);
    });
  }

  it('runs no checks without rules or response_format', () => {
    const result = validateOutput('anything', undefined);
    assert.deepEqual(result, { ok: true, checks: [], summary: 'no checks configured' });
  });

  it('does not parse plain-text answers when nothing asks for JSON', () => {
    const result = validateOutput('plain text', rules({ maxChars: 100 }));
    assert.deepEqual(result.checks.map((c) => c.check), ['max_chars']);
  });

  it('reports every failing check, not only the first', () => {
    const result = validateOutput('as an ai, no', rules({ maxChars: 3, mustMatch: ['^\\{'], mustNotMatch: ['as an ai'] }));
    assert.deepEqual(result.checks.filter((c) => !c.ok).map((c) => c.check), ['max_chars', 'must_match', 'must_not_match']);
    assert.match(result.summary, /^failed 3 of 3 check\(s\): max_chars \(.*\); must_match \(.*\); must_not_match \(.*\)$/);
  });
});

describe('validateOutput: response_format', () => {
  const jsonSchemaFormat = { type: 'json_schema', json_schema: { name: 'reply', strict: true, schema: ANSWER_SCHEMA } };
  const cases: { name: string; format: unknown; answer: string; ok: boolean; failed?: CheckName; message?: RegExp }[] = [
    { name: 'json_schema pass', format: jsonSchemaFormat, answer: '{"answer":"yes"}', ok: true },
    { name: 'json_schema invalid', format: jsonSchemaFormat, answer: '{"answer":1}', ok: false, failed: 'json_schema', message: /^response_format: \/answer must be string$/ },
    { name: 'json_schema not JSON', format: jsonSchemaFormat, answer: 'Sure! {"answer":"yes"}', ok: false, failed: 'json_parse' },
    { name: 'json_schema without schema still needs JSON', format: { type: 'json_schema', json_schema: { name: 'x' } }, answer: 'hi', ok: false, failed: 'json_parse' },
    { name: 'json_schema that does not compile', format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'strnig' } } }, answer: '{}', ok: false, failed: 'json_schema', message: /response_format schema does not compile/ },
    { name: 'json_schema 2020-12 dialect', format: { type: 'json_schema', json_schema: { name: 'x', schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', prefixItems: [{ type: 'number' }] } } }, answer: '["a"]', ok: false, failed: 'json_schema', message: /\/0 must be number/ },
    { name: 'json_object pass', format: { type: 'json_object' }, answer: ' {"a": 1} ', ok: true },
    { name: 'json_object array', format: { type: 'json_object' }, answer: '[1,2]', ok: false, failed: 'json_parse', message: /JSON object .* got array/ },
    { name: 'json_object not JSON', format: { type: 'json_object' }, answer: '{a:1}', ok: false, failed: 'json_parse' },
    { name: 'text format checks nothing', format: { type: 'text' }, answer: 'hi', ok: true },
    { name: 'garbage format ignored', format: 'json', answer: 'hi', ok: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = validateOutput(c.answer, undefined, c.format);
      assert.equal(result.ok, c.ok, JSON.stringify(result));
      if (c.failed) {
        const check = onlyCheck(result, c.failed);
        assert.equal(check.ok, false);
        if (c.message) assert.match(check.message ?? '', c.message);
      }
    });
  }

  it('applies both the response_format schema and the config jsonSchema', () => {
    const strictConfig = rules({ jsonSchema: { type: 'object', required: ['confidence'] } });
    const result = validateOutput('{"answer":"yes"}', strictConfig, jsonSchemaFormat);
    const schemaChecks = result.checks.filter((c) => c.check === 'json_schema');
    assert.deepEqual(schemaChecks.map((c) => c.ok), [true, false]);
    assert.match(schemaChecks[1]?.message ?? '', /^config jsonSchema: \(root\) must have required property 'confidence'$/);
  });
});

describe('validateOutput: secrets never reach messages', () => {
  const CARD = '4111 1111 1111 1111';
  const KEY = 'sk-proj-Abc123XyZ789Def456Ghi012Jkl345Mno678Pqr901';

  it('flags a card number and an API key by kind only', () => {
    const answer = `Your card ${CARD} and key ${KEY} are ready.`;
    const result = validateOutput(answer, rules({ sensitiveOutput: 'block', maxChars: 10, mustNotMatch: ['sk-proj-\\w+'] }));
    const check = onlyCheck(result, 'sensitive_output');
    assert.equal(check.ok, false);
    assert.match(check.message ?? '', /payment_card/);
    assert.match(check.message ?? '', /api_key/);
    const text = allText(result);
    for (const secret of [CARD, KEY, '4111', 'Abc123XyZ']) assert.ok(!text.includes(secret), `"${secret}" leaked into: ${text}`);
    assert.ok(!repairInstruction(result).includes(KEY));
  });

  it('keeps answer values and secret-looking keys out of schema and fields messages', () => {
    const answer = JSON.stringify({ answer: KEY, [KEY]: 1, n: CARD });
    const schema = { type: 'object', properties: { answer: { type: 'number' } }, additionalProperties: { type: 'string' } };
    const result = validateOutput(answer, rules({ jsonSchema: schema, fields: { answer: 'number', n: 'number' } }));
    assert.equal(result.ok, false);
    const text = allText(result);
    assert.match(text, /\/answer must be number/);
    assert.match(text, /<key> must be string/);
    for (const secret of [KEY, CARD, 'sk-proj']) assert.ok(!text.includes(secret), `"${secret}" leaked into: ${text}`);
  });

  it('does not echo the input in JSON parse errors', () => {
    const result = validateOutput(`{"token": ${KEY}}`, undefined, { type: 'json_object' });
    assert.ok(!allText(result).includes(KEY));
  });
});

describe('ValidationRulesSchema', () => {
  it('accepts the documented example and defaults onFailure to fail', () => {
    const parsed = rules({
      maxChars: 4000,
      mustMatch: ['^\\{'],
      mustNotMatch: ['(?i)as an ai'],
      jsonSchema: ANSWER_SCHEMA,
      fields: { answer: 'string', confidence: 'number?' },
      sensitiveOutput: 'block',
    });
    assert.equal(parsed.onFailure, 'fail');
    assert.equal(rules({ onFailure: 'retry' }).onFailure, 'retry');
    assert.equal(rules({}).onFailure, 'fail');
  });

  const invalid: { name: string; input: Record<string, unknown>; path: (string | number)[]; message: RegExp }[] = [
    { name: 'bad mustMatch regex', input: { mustMatch: ['ok', '(unclosed'] }, path: ['mustMatch', 1], message: /invalid regex/ },
    { name: 'bad mustNotMatch regex', input: { mustNotMatch: ['[z-a]'] }, path: ['mustNotMatch', 0], message: /invalid regex/ },
    { name: 'bad JSON schema type', input: { jsonSchema: { type: 'strnig' } }, path: ['jsonSchema'], message: /invalid JSON Schema/ },
    { name: 'bad JSON schema keyword value', input: { jsonSchema: { type: 'object', required: 'answer' } }, path: ['jsonSchema'], message: /invalid JSON Schema/ },
    { name: 'unknown field type', input: { fields: { answer: 'str' } }, path: ['fields', 'answer'], message: /must be one of string, number/ },
    { name: 'unknown onFailure', input: { onFailure: 'ignore' }, path: ['onFailure'], message: /./ },
    { name: 'misspelled key', input: { mustNotMach: ['x'] }, path: [], message: /mustNotMach/ },
    { name: 'non-positive maxChars', input: { maxChars: 0 }, path: ['maxChars'], message: /./ },
  ];
  for (const c of invalid) {
    it(`rejects ${c.name} with a path`, () => {
      const parsed = ValidationRulesSchema.safeParse(c.input);
      assert.equal(parsed.success, false);
      const issue = parsed.error?.issues.find((i) => JSON.stringify(i.path) === JSON.stringify(c.path));
      assert.ok(issue, `no issue at ${JSON.stringify(c.path)}: ${JSON.stringify(parsed.error?.issues)}`);
      assert.match(issue.message, c.message);
    });
  }
});

describe('JSON Schema compile cache', () => {
  it('reuses the compiled validator for an equal schema', () => {
    const a = compileJsonSchema({ type: 'object', properties: { cacheProbe: { type: 'string' } } });
    const b = compileJsonSchema({ type: 'object', properties: { cacheProbe: { type: 'string' } } });
    assert.ok(a.ok && b.ok);
    assert.equal(a.validate, b.validate);
  });

  it('counts one compile per distinct schema and evicts the least recently used', () => {
    const cache = new JsonSchemaCache(2);
    const s1 = { type: 'string' };
    const s2 = { type: 'number' };
    const s3 = { type: 'boolean' };
    const first = cache.get(s1);
    cache.get(s2);
    cache.get({ ...s1 }); // hit: s1 becomes most recently used
    assert.equal(cache.compileCount, 2);
    cache.get(s3); // evicts s2
    assert.equal(cache.size, 2);
    assert.equal(cache.get(s1), first);
    assert.equal(cache.compileCount, 3);
    cache.get(s2);
    assert.equal(cache.compileCount, 4);
  });

  it('caches compile failures as data and tolerates repeated $id values', () => {
    const cache = new JsonSchemaCache(10);
    const bad = cache.get({ type: 'strnig' });
    assert.equal(bad.ok, false);
    assert.equal(cache.get({ type: 'strnig' }), bad);
    assert.equal(cache.compileCount, 1);
    assert.ok(cache.get({ $id: 'https://example.com/s', type: 'string' }).ok);
    assert.ok(cache.get({ $id: 'https://example.com/s', type: 'number' }).ok);
  });

  it('is not affected by the caller mutating its schema afterwards', () => {
    const cache = new JsonSchemaCache(10);
    const schema: Record<string, unknown> = { type: 'string' };
    const compiled = cache.get(schema);
    schema.type = 'number';
    assert.ok(compiled.ok && compiled.validate('text'));
  });
});

describe('repairInstruction', () => {
  it('states the failures and asks for a new answer, without the answer', () => {
    const answer = 'As an AI, here is my very long answer';
    const result = validateOutput(answer, rules({ maxChars: 10, mustNotMatch: ['(?i)as an ai'], onFailure: 'retry' }));
    const text = repairInstruction(result);
    assert.match(text, /^Your previous answer failed validation: failed 2 of 2 check\(s\): max_chars/);
    assert.match(text, /Answer again/);
    assert.match(text, /Make the answer shorter\./);
    assert.match(text, /Avoid the forbidden phrasing\./);
    assert.ok(!text.includes(answer));
    assert.ok(text.includes(result.summary));
  });

  it('asks for bare JSON after a parse failure', () => {
    const text = repairInstruction(validateOutput('```json\n{}\n```', undefined, { type: 'json_object' }));
    assert.match(text, /JSON value only: no prose, no Markdown code fences/);
  });

  it('refuses a passing result (programmer error)', () => {
    assert.throws(() => repairInstruction(validateOutput('ok', undefined)), /passed validation/);
  });
});
