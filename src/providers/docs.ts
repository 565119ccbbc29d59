import { z } from 'zod';
import type { Pricing, ProviderKind } from './kind';
import { PROVIDER_KINDS } from './registry';

/** Where docs/config.md keeps the generated table (test/unit/providerRegistry.test.ts checks it). */
export const TABLE_START = '<!-- provider kinds: generated from src/providers/registry.ts -->';
export const TABLE_END = '<!-- end of provider kinds -->';

/** docs/config.md's provider table, one row per registered kind; the settings are read from each kind's schema. */
export function providerTable(kinds: readonly ProviderKind[] = PROVIDER_KINDS as unknown as ProviderKind[]): string {
  const rows = kinds.map((k) => `| \`${k.kind}\` | ${k.doc.sdk} | ${k.doc.reaches} | ${settings(k.schema.shape)} | ${pricing(k.pricing)} |`);
  return ['| kind | SDK | reaches | settings | priced as |', '|---|---|---|---|---|', ...rows].join('\n');
}

function pricing(p: Pricing): string {
  if (p.by === 'none') return 'free';
  return p.by === 'model' ? 'by model name' : `\`${p.providerId}\` models`;
}

function settings(shape: Readonly<Record<string, z.core.$ZodType>>): string {
  const fields = Object.entries(shape).filter(([name]) => name !== 'kind');
  if (fields.length === 0) return 'none';
  return fields.map(([name, schema]) => (z.safeParse(schema, undefined).success ? `\`${name}\`` : `\`${name}\` (required)`)).join(', ');
}
