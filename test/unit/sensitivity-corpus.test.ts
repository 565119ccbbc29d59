// Corpus evaluation for src/policy/sensitivity: per-kind recall, precision and
// the false-positive rate on hard negatives, printed as a table and gated by
// the thresholds the gateway relies on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { detectSensitive, summarizeKinds, type SensitiveKind } from '../../src/policy/sensitivity/index';
import { generateCorpus } from '../fixtures/sensitivity/generate';

interface Sample { text: string; kinds: SensitiveKind[] }
interface Scored extends Sample { detected: SensitiveKind[] }
interface KindStats { kind: string; support: number; hits: number; predicted: number }

const CORPUS_PATH = join(__dirname, '..', 'fixtures', 'sensitivity', 'corpus.jsonl');
const SECRET_KINDS: readonly SensitiveKind[] = ['api_key', 'private_key', 'high_entropy_secret'];
const ALL_KINDS: readonly SensitiveKind[] = ['email', 'phone', 'payment_card', 'us_ssn', 'iban', 'api_key', 'private_key', 'high_entropy_secret'];

function loadCorpus(): Sample[] {
  return readFileSync(CORPUS_PATH, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Sample);
}

function score(samples: readonly Sample[]): Scored[] {
  return samples.map((s) => ({ ...s, detected: summarizeKinds(detectSensitive(s.text)) }));
}

/**
 * Counts over (sample, kind) pairs: a labelled kind is a hit if detected in
 * that sample; precision is hits / predicted pairs.
 */
function statsFor(name: string, kinds: readonly SensitiveKind[], scored: readonly Scored[]): KindStats {
  const stats: KindStats = { kind: name, support: 0, hits: 0, predicted: 0 };
  for (const s of scored) {
    for (const kind of kinds) {
      const labelled = s.kinds.includes(kind);
      const detected = s.detected.includes(kind);
      stats.support += labelled ? 1 : 0;
      stats.predicted += detected ? 1 : 0;
      stats.hits += labelled && detected ? 1 : 0;
    }
  }
  return stats;
}

const ratio = (num: number, den: number): number => (den === 0 ? 1 : num / den);
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`.padStart(7);

function printTable(rows: readonly KindStats[], falsePositiveRate: number, negatives: number): void {
  const lines = [
    'kind                  support  recall  precision',
    ...rows.map((r) => `${r.kind.padEnd(20)} ${String(r.support).padStart(8)} ${pct(ratio(r.hits, r.support))} ${pct(ratio(r.hits, r.predicted))}`),
    `false-positive rate on ${negatives} negatives: ${pct(falsePositiveRate).trim()}`,
  ];
  console.log(`\n${lines.join('\n')}\n`);
}

describe('sensitivity corpus', () => {
  const samples = loadCorpus();
  const scored = score(samples);
  const positives = scored.filter((s) => s.kinds.length > 0);
  const negatives = scored.filter((s) => s.kinds.length === 0);
  const perKind = ALL_KINDS.map((k) => statsFor(k, [k], scored));
  const secrets = statsFor('secrets (combined)', SECRET_KINDS, scored);
  const overall = statsFor('overall', ALL_KINDS, scored);
  const falsePositiveRate = ratio(negatives.filter((s) => s.detected.length > 0).length, negatives.length);
  printTable([...perKind, secrets, overall], falsePositiveRate, negatives.length);

  it('is the committed output of generate.ts', () => {
    const regenerated = generateCorpus().map((s) => JSON.stringify(s));
    assert.deepEqual(samples.map((s) => JSON.stringify(s)), regenerated, 'corpus.jsonl is stale: run npx tsx test/fixtures/sensitivity/generate.ts');
  });

  it('has enough positives and hard negatives, spread over every kind', () => {
    assert.ok(positives.length >= 220, `positives: ${positives.length}`);
    assert.ok(negatives.length >= 220, `negatives: ${negatives.length}`);
    for (const row of perKind) assert.ok(row.support >= 15, `${row.kind} support ${row.support}`);
    assert.ok((perKind.find((r) => r.kind === 'payment_card')?.support ?? 0) >= 25);
    assert.ok(secrets.support >= 60, `secret support ${secrets.support}`);
  });

  it('recalls ≥ 95% of secrets (api_key + private_key + high_entropy_secret)', () => {
    assert.ok(ratio(secrets.hits, secrets.support) >= 0.95, `secret recall ${ratio(secrets.hits, secrets.support)}`);
  });

  it('recalls ≥ 95% of payment cards', () => {
    const cards = perKind.find((r) => r.kind === 'payment_card');
    assert.ok(cards && ratio(cards.hits, cards.support) >= 0.95, `card recall ${cards && ratio(cards.hits, cards.support)}`);
  });

  it('flags at most 5% of hard negatives', () => {
    assert.ok(falsePositiveRate <= 0.05, `false-positive rate ${falsePositiveRate}`);
  });
});
