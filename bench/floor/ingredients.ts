import type { DataConverter } from '@temporalio/common';
import { join } from 'node:path';
import OpenAI from 'openai';
import { loadCredentialKeys, type CredentialKeys } from '../../src/auth/credentialSeal';
import { openDatabase } from '../../src/db';
import { Ledger } from '../../src/store';
import { loadCodec } from '../../src/temporal/codec';
import { gatehouseDataConverter } from '../../src/temporal/dataConverter';
import { GatehouseSearch } from '../../src/temporal/searchAttributes';

/**
 * Gatehouse's ingredients, added to the floor one at a time (BENCH_FLOOR_WITH) so the bench can
 * say what each costs without Gatehouse's own work around it:
 * - `codec`: the gateway's data converter (every payload AES-GCM encrypted, its failure converter);
 * - `attributes`: its start (memo, `GatehouseStatus`) and its one search-attribute upsert at the end;
 * - `prepare`: a second local activity before the call, as admission-and-plan was;
 * - `seal`: the front door seals a caller key to the workers' key (src/auth/credentialSeal.ts), the
 *   workflow passes the envelope to its activity, which opens it;
 * - `sdk`: the provider call through the `openai` SDK (one client), as the gateway's adapter makes it;
 * - `ledger`: the activity writes the request's row to the gateway's SQLite ledger before answering.
 */
export const INGREDIENTS = ['codec', 'attributes', 'prepare', 'seal', 'sdk', 'ledger'] as const;
export type Ingredient = (typeof INGREDIENTS)[number];

/** What the workflow adds (passed as its second argument). */
export interface InWorkflow {
  attributes: boolean;
  prepare: boolean;
  /** `seal`: the envelope the front door sealed for this workflow. */
  credential?: string;
}

/** What the activity adds (in the floor's process). */
export interface InActivity {
  keys?: CredentialKeys;
  openai?: OpenAI;
  ledger?: Ledger;
}

export interface FloorIngredients {
  dataConverter?: DataConverter;
  inWorkflow: InWorkflow;
  inActivity: InActivity;
}

export async function floorIngredients(spec: string | undefined, dataDir: string, mockUrl: string): Promise<FloorIngredients> {
  const asked = new Set((spec ?? '').split(',').map((s) => s.trim()).filter(Boolean));
  for (const a of asked) if (!(INGREDIENTS as readonly string[]).includes(a)) throw new Error(`BENCH_FLOOR_WITH: unknown ingredient "${a}" (known: ${INGREDIENTS.join(', ')})`);
  const has = (i: Ingredient) => asked.has(i);
  return {
    ...(has('codec') ? { dataConverter: gatehouseDataConverter(loadCodec({}, join(dataDir, 'codec-key'))) } : {}),
    inWorkflow: { attributes: has('attributes'), prepare: has('prepare') },
    inActivity: {
      ...(has('seal') ? { keys: loadCredentialKeys({}, dataDir, { open: true }) } : {}),
      // As the gateway's OpenAI adapter: the SDK's own retries off (the workflow retries).
      ...(has('sdk') ? { openai: new OpenAI({ baseURL: mockUrl, apiKey: 'floor', maxRetries: 0 }) } : {}),
      ...(has('ledger') ? { ledger: new Ledger(await openDatabase(join(dataDir, 'ledger.db'))) } : {}),
    },
  };
}

/** The start's memo and status attribute, as the gateway's RequestStarter sets them. */
export function startOptions(i: FloorIngredients) {
  if (!i.inWorkflow.attributes) return {};
  return { memo: { keyTag: 'floor-key-tag-0123456789' }, typedSearchAttributes: [{ key: GatehouseSearch.status, value: 'running' }] };
}

/** A demo caller's key, sealed per request when `seal` is in. */
export const FLOOR_CALLER_KEY = 'gh_floor_demo_key_0123456789abcdef';
