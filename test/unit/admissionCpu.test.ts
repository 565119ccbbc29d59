import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { analyzePrompt } from '../../src/admission/analyze';
import { analyzeRequest } from '../../src/admission/admit';
import { CpuPool } from '../../src/admission/cpuPool';
import { estimateTokens } from '../../src/cost';
import { boundedChunks, MAX_RUN, tokenizerFor } from '../../src/cost/tokens';
import { GatewayError } from '../../src/errors';
import { detectSensitive } from '../../src/policy/sensitivity';
import { resolveOverlaps } from '../../src/policy/sensitivity/detect';

/** Least wall time of fn over `runs` runs, in ms: the least is what other load on the machine inflates least. */
function timed(fn: () => unknown, runs: number): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/**
 * Linear: 32 runs on n characters cost about what one run on 32·n does (ratio ~1); quadratic work
 * makes the one large run ~32× dearer. A bound of 8 tolerates a noisy, shared machine.
 */
const GROWTH = 32;
function assertLinear(name: string, make: (n: number) => string, fn: (s: string) => unknown, n = 10_000): void {
  const small = make(n);
  const large = make(GROWTH * n);
  const a = timed(() => {
    for (let i = 0; i < GROWTH; i++) fn(small);
  }, 3);
  const b = timed(() => fn(large), 2);
  assert.ok(b / a < 8, `${name}: ${GROWTH} × ${n} chars ${a.toFixed(1)} ms, once ${GROWTH * n} chars ${b.toFixed(1)} ms (×${(b / a).toFixed(1)})`);
}

const PATHOLOGICAL: Record<string, (n: number) => string> = {
  'one letter': (n) => 'a'.repeat(n),
  'one accented letter': (n) => 'é'.repeat(n),
  spaces: (n) => ' '.repeat(n),
  punctuation: (n) => '!'.repeat(n),
  digits: (n) => '1'.repeat(n),
  'digit groups': (n) => '1 '.repeat(n / 2),
  emoji: (n) => '🙂'.repeat(n / 2),
  'mixed scripts': (n) => 'aé中ж🙂 Ωλ١٢٣'.repeat(n / 12),
  'email domain labels': (n) => `x@${'a.'.repeat(n / 2)}`,
  'email local part': (n) => `${'a.'.repeat(n / 2)}@`,
  'secret names': (n) => 'password='.repeat(n / 9),
  'secret words': (n) => 'token key secret '.repeat(n / 17),
  'tokens near secret words': (n) => 'token Ab1cD2eF3gH4iJ5kL6 '.repeat(n / 25),
  'PEM headers': (n) => '-----BEGIN RSA PRIVATE KEY-----'.repeat(n / 31),
  'phone context': (n) => `phone: on at is ${'1 '.repeat(10)}`.repeat(n / 36),
  'SSN shapes': (n) => '123-45-'.repeat(n / 7),
  'base64-ish': (n) => 'aZ9+/'.repeat(n / 5),
  hyphens: (n) => 'a-'.repeat(n / 2),
  'many findings of two lengths': (n) => 'a@b.co aa@bb.co '.repeat(n / 16),
};

describe('admission work is linear in the caller’s text', () => {
  it('the tokenizer never sees a whitespace-free run longer than MAX_RUN, and loses no text', () => {
    for (const text of ['é'.repeat(10_000), `${'a'.repeat(300)} b ${'🙂'.repeat(200)}`, 'word '.repeat(5000), ' '.repeat(1000)]) {
      const chunks = [...boundedChunks(text)];
      assert.equal(chunks.join(''), text);
      for (const c of chunks) for (const run of c.split(/[ \t\r\n]/)) assert.ok(run.length <= MAX_RUN, `run of ${run.length}`);
      for (const c of chunks) assert.ok(c.length <= 4096 + MAX_RUN, `chunk of ${c.length}`);
      assert.ok(!chunks.some((c) => /^[\udc00-\udfff]/.test(c)), 'a cut inside a surrogate pair');
    }
  });

  it('keeps the estimate close to the exact count on ordinary text', () => {
    const samples = [
      'The quick brown fox jumps over the lazy dog.\n'.repeat(300),
      'function foo(bar) { return bar.map((x) => x * 2); }\n'.repeat(200),
      '我们在这里讨论一个非常重要的问题，关于系统的安全性和可靠性。'.repeat(100),
      'Ωμέγα και άλφα. Привет, мир! مرحبا بالعالم '.repeat(200),
    ];
    const count = tokenizerFor('gpt-4o');
    for (const s of samples) {
      const exact = countTokens(s);
      assert.ok(Math.abs(count(s) - exact) / exact < 0.02, `${count(s)} vs ${exact}`);
    }
  });

  it('estimates a 32k run of "é" and a 1.5 MB run of one letter in linear time', () => {
    assert.equal(estimateTokens([{ role: 'user', content: 'é'.repeat(32_000) }]) - 7, 32_000);
    assertLinear('tokens, one letter', (n) => 'a'.repeat(n), (s) => estimateTokens([{ role: 'user', content: s }]), 50_000);
    assertLinear('tokens, one accented letter', (n) => 'é'.repeat(n), (s) => estimateTokens([{ role: 'user', content: s }]));
  });

  for (const [name, make] of Object.entries(PATHOLOGICAL)) {
    it(`detectors and tokens stay linear on ${name}`, () => assertLinear(name, make, (s) => analyzePrompt([{ role: 'user', content: s }])));
  }

  it('stays linear in the number of tiny messages', () => {
    const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ role: 'user' as const, content: `m${i % 10}` }));
    const small = messages(500);
    const large = messages(500 * GROWTH);
    const a = timed(() => {
      for (let i = 0; i < GROWTH; i++) analyzePrompt(small);
    }, 3);
    const b = timed(() => analyzePrompt(large), 2);
    assert.ok(b / a < 8, `${GROWTH} × 500 messages ${a.toFixed(1)} ms, once ${500 * GROWTH} ${b.toFixed(1)} ms`);
  });

  it('resolves overlaps among many findings in O(k log k)', () => {
    // Alternating lengths: precedence order then inserts every other finding between two accepted ones.
    const candidates = (k: number) => Array.from({ length: k }, (_, i) => ({ kind: 'email' as const, start: i * 10, end: i * 10 + (i % 2 ? 5 : 8) }));
    const small = candidates(2_500);
    const large = candidates(2_500 * GROWTH);
    const a = timed(() => {
      for (let i = 0; i < GROWTH; i++) resolveOverlaps(small);
    }, 3);
    const b = timed(() => resolveOverlaps(large), 2);
    assert.ok(b / a < 8, `${GROWTH} × 2.5k findings ${a.toFixed(1)} ms, once ${2_500 * GROWTH} ${b.toFixed(1)} ms`);
    assert.equal(resolveOverlaps(large).length, 2_500 * GROWTH);
    assert.deepEqual(resolveOverlaps([{ kind: 'email', start: 0, end: 10 }, { kind: 'api_key', start: 5, end: 12 }, { kind: 'phone', start: 12, end: 14 }]), [
      { kind: 'api_key', start: 5, end: 12 },
      { kind: 'phone', start: 12, end: 14 },
    ]);
  });

  it('still finds what it should on the way (the detectors were not weakened)', () => {
    assert.deepEqual(analyzePrompt([{ role: 'user', content: 'mail jane.doe@example.com' }]).findings[0]!.map((f) => f.kind), ['email']);
    assert.deepEqual(detectSensitive('a'.repeat(100_000)), []);
  });
});

describe('CpuPool', () => {
  const big = [{ role: 'user' as const, content: 'Contact me at jane.doe@example.com please. '.repeat(40_000) }];
  const size = JSON.stringify(big).length;

  it('analyzes large prompts in a worker thread with the same result as inline', async () => {
    // What this proves is the result, not the speed: a deadline a loaded CI machine cannot miss.
    const pool = new CpuPool({ inlineLimit: 0, threads: 1, deadlineMs: 60_000 });
    try {
      assert.deepEqual(await pool.run('analyze', big, size), analyzePrompt(big));
    } finally {
      await pool.close();
    }
  });

  it('interrupts work past its deadline (admission refuses with 413 request_too_complex) while the event loop keeps turning', async () => {
    const pool = new CpuPool({ inlineLimit: 0, threads: 1, deadlineMs: 30 });
    await pool.start().run([], { name: 'analyze' }); // a warm thread, as the gateway keeps one
    let ticks = 0;
    let worstGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
      ticks++;
    }, 5);
    try {
      const huge = { model: 'auto', messages: [{ role: 'user' as const, content: 'token Ab1cD2eF3gH4iJ5kL6 '.repeat(200_000) }] };
      const t0 = performance.now();
      const err = await analyzeRequest(pool, huge).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof GatewayError, String(err));
      assert.equal(err.status, 413);
      assert.equal(err.code, 'request_too_complex');
      assert.ok(performance.now() - t0 < 1000, 'refused near its deadline');
      assert.ok(ticks > 0 && worstGap < 200, `event loop gap ${worstGap.toFixed(0)} ms`);
    } finally {
      clearInterval(timer);
      await pool.close();
    }
  });
});
