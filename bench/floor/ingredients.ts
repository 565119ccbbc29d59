import type { DataConverter } from '@temporalio/common';
import { join } from 'node:path';
import { loadCodec } from '../../src/temporal/codec';
import { gatehouseDataConverter } from '../../src/temporal/dataConverter';
import { GatehouseSearch } from '../../src/temporal/searchAttributes';

/**
 * Gatehouse's Temporal-side ingredients, added to the floor one at a time (BENCH_FLOOR_WITH) so the
 * bench can say what each costs without Gatehouse's own work around it:
 * - `codec`: the gateway's data converter (every payload AES-GCM encrypted, its failure converter);
 * - `attributes`: its start (memo, `GatehouseStatus`) and its two search-attribute upserts;
 * - `prepare`: a second local activity before the call, as admission-and-plan is.
 */
export const INGREDIENTS = ['codec', 'attributes', 'prepare'] as const;
export type Ingredient = (typeof INGREDIENTS)[number];

/** What the workflow adds (passed as its second argument). */
export interface InWorkflow {
  attributes: boolean;
  prepare: boolean;
}

export interface FloorIngredients {
  dataConverter?: DataConverter;
  inWorkflow: InWorkflow;
}

export function floorIngredients(spec: string | undefined, dataDir: string): FloorIngredients {
  const asked = new Set((spec ?? '').split(',').map((s) => s.trim()).filter(Boolean));
  for (const a of asked) if (!(INGREDIENTS as readonly string[]).includes(a)) throw new Error(`BENCH_FLOOR_WITH: unknown ingredient "${a}" (known: ${INGREDIENTS.join(', ')})`);
  const has = (i: Ingredient) => asked.has(i);
  return {
    ...(has('codec') ? { dataConverter: gatehouseDataConverter(loadCodec({}, join(dataDir, 'codec-key'))) } : {}),
    inWorkflow: { attributes: has('attributes'), prepare: has('prepare') },
  };
}

/** The start's memo and status attribute, as the gateway's RequestStarter sets them. */
export function startOptions(i: FloorIngredients) {
  if (!i.inWorkflow.attributes) return {};
  return { memo: { keyTag: 'floor-key-tag-0123456789' }, typedSearchAttributes: [{ key: GatehouseSearch.status, value: 'running' }] };
}
