/**
 * `npx tsx bench/admissionCpu.ts`: what admission costs on pathological and ordinary text, before
 * (gpt-tokenizer counting the whole text, quadratic in one unbroken run) and after (bounded pieces),
 * plus the sensitivity detectors and the CPU pool's thread hop. Numbers for README "Security"; the
 * unit tests (test/unit/admissionCpu.test.ts) assert the linearity, not the speed.
 */
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { analyzePrompt } from '../src/admission/analyze';
import { CpuPool } from '../src/admission/cpuPool';
import { tokenizerFor } from '../src/cost/tokens';
import { detectSensitive } from '../src/policy/sensitivity';

const bounded = tokenizerFor('gpt-4o');
/** The old path is skipped where it would take minutes: an unbroken run longer than this. */
const EXACT_LIMIT = 40_000;
const longestRun = (text: string) => Math.max(...text.split(/\s/).map((w) => w.length));

const TEXTS: Array<[string, string]> = [
  ['prose 100 kB', 'The quick brown fox jumps over the lazy dog. It was the best of times.\n'.repeat(1400)],
  ['"é" × 8k', 'é'.repeat(8_000)],
  ['"é" × 32k', 'é'.repeat(32_000)],
  ['"a" × 1.5M', 'a'.repeat(1_500_000)],
  ['mixed scripts 170k', 'aé中ж🙂 Ωλ ١٢٣ कि '.repeat(10_000)],
  ['code 136k', 'function foo(bar) { return bar.map((x) => x * 2).filter(Boolean); }\n'.repeat(2000)],
  ['CJK 60k', '我们在这里讨论一个非常重要的问题，关于系统的安全性和可靠性。'.repeat(2000)],
];

function ms(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  console.log('text                  chars     old ms   old tok   new ms   new tok  detectors ms');
  for (const [name, text] of TEXTS) {
    const fresh = () => `${text}${Math.random()}`; // defeats the tokenizer's merge cache
    let oldTok = NaN;
    const oldMs = longestRun(text) <= EXACT_LIMIT ? ms(() => (oldTok = countTokens(fresh()))) : NaN;
    let newTok = 0;
    const newMs = ms(() => (newTok = bounded(fresh())));
    const detMs = ms(() => detectSensitive(text));
    const f = (n: number) => (Number.isNaN(n) ? 'skipped' : n.toFixed(1)).padStart(8);
    console.log(`${name.padEnd(20)}${String(text.length).padStart(8)} ${f(oldMs)} ${String(Number.isNaN(oldTok) ? '-' : oldTok).padStart(9)} ${f(newMs)} ${String(newTok).padStart(9)} ${f(detMs)}`);
  }
  const pool = new CpuPool({ inlineLimit: 0, threads: 1 });
  await pool.start().run([], { name: 'analyze' });
  console.log('\nprompt chars   inline ms   worker ms (hop included)');
  const line = 'Please summarise the notes. Contact me at jane.doe@example.com or +44 20 7946 0958. ';
  for (const size of [1_000, 4_000, 16_000, 64_000, 1_000_000]) {
    const messages = [{ role: 'user' as const, content: line.repeat(Math.ceil(size / line.length)).slice(0, size) }];
    const json = JSON.stringify(messages);
    analyzePrompt(messages);
    const reps = size > 100_000 ? 3 : 20;
    let t0 = performance.now();
    for (let i = 0; i < reps; i++) analyzePrompt(messages);
    const inline = (performance.now() - t0) / reps;
    t0 = performance.now();
    for (let i = 0; i < reps; i++) await pool.run('analyzeJson', json, json.length);
    const worker = (performance.now() - t0) / reps;
    console.log(`${String(size).padStart(12)} ${inline.toFixed(2).padStart(11)} ${worker.toFixed(2).padStart(11)}`);
  }
  await pool.close();
}

void main();
