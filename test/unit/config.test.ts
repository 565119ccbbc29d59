import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfigText } from '../../src/config';
import { readFileSync } from 'node:fs';

const VALID = `
providers:
  local: { kind: mock }
models:
  small: { provider: local, upstream: mock-small }
callers:
  bot: { team: t1, tasks: [chat], keyHash: "sha256:${'a'.repeat(64)}" }
routes:
  - { name: chat, match: { task: chat }, primary: small }
`;

function problems(text: string): string[] {
  try {
    parseConfigText(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('config', () => {
  it('accepts a minimal file and fills defaults', () => {
    const c = parseConfigText(VALID);
    assert.equal(c.routes[0]?.timeout, '30s');
    assert.equal(c.routes[0]?.retries, 2);
    assert.deepEqual(c.routes[0]?.fallbacks, []);
    assert.equal(c.models.small?.approved, true);
    assert.deepEqual(c.callers.bot?.roles, ['caller']);
  });

  it('the example config in the repo is valid', () => {
    const c = parseConfigText(readFileSync('gatehouse.config.yaml', 'utf8'));
    assert.ok(c.routes.length > 0);
  });

  it('lists every problem by path, not just the first', () => {
    const list = problems(`
providers:
  local: { kind: carrier-pigeon }
models:
  small: { provider: nowhere, upstream: x }
callers:
  bot: { team: t1, tasks: [chat, draw], keyHash: "plain-text-key" }
routes:
  - { name: chat, match: { task: chat }, primary: small, fallbacks: [ghost], timeout: soon }
`);
    const text = list.join('\n');
    assert.match(text, /^providers\.local\.kind: /m);
    assert.match(text, /^callers\.bot\.keyHash: .*sha256/m);
    assert.match(text, /^routes\.0\.timeout: .*duration/m);
    assert.ok(list.length >= 3, text);
  });

  it('reports unknown references between sections', () => {
    const list = problems(VALID.replace('primary: small', 'primary: small, fallbacks: [ghost]').replace('tasks: [chat]', 'tasks: [chat, draw]'));
    assert.ok(list.includes('routes.0.fallbacks.0: unknown model "ghost"'), list.join('\n'));
    assert.ok(list.includes('callers.bot.tasks.1: no route matches task "draw"'), list.join('\n'));
  });

  it('rejects a caller without a key hash unless it is the demo caller', () => {
    const list = problems(VALID.replace(`, keyHash: "sha256:${'a'.repeat(64)}"`, ''));
    assert.ok(list.some((p) => p.startsWith('callers.bot') && p.includes('keyHash')), list.join('\n'));
    parseConfigText(VALID.replace(`keyHash: "sha256:${'a'.repeat(64)}"`, 'demo: true'));
  });

  it('reports YAML syntax errors', () => {
    assert.match(problems('providers: [unclosed')[0] ?? '', /^YAML/);
  });
});
