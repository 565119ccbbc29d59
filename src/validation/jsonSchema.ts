import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { describeJsonPath, describePathSegments } from './paths';
import { re2RegExp } from './regex';

/**
 * JSON Schema compilation for config `jsonSchema` and request `response_format` schemas.
 *
 * Request schemas arrive as fresh objects on every call, so compiled validators are cached by the
 * schema's JSON text. Ajv's own cache is keyed by object identity and never forgets, so it would grow
 * with every request: evicted entries are removed from Ajv too.
 */

export type CompiledSchema = { ok: true; validate: ValidateFunction } | { ok: false; error: string };

type AjvInstance = InstanceType<typeof Ajv>;

const AJV_OPTIONS = {
  allErrors: true,
  // Callers' schemas often carry keywords from other tools (OpenAPI `discriminator`, `example`);
  // strict mode would reject them. The meta-schema is still checked, so `type: strnig` fails.
  strict: false,
  // Without this, two schemas with the same `$id` but different content would collide.
  addUsedSchema: false,
  // Unknown formats are ignored; Ajv would otherwise warn on the console per compile.
  logger: false as const,
  // `pattern` / `patternProperties` come from callers: RE2 runs them in linear time (regex.ts).
  code: { regExp: re2RegExp },
};

// eslint-disable-next-line no-restricted-syntax -- a memo of a pure function (same input, same result): sharing it across runs changes no decision
const ajvByDialect = new Map<string, AjvInstance>();

/** One Ajv per JSON Schema dialect: the default (draft-07) rejects a 2020-12 `$schema`, which zod and others emit. */
function ajvFor(schema: object): AjvInstance {
  const declared = (schema as { $schema?: unknown }).$schema;
  const dialect = typeof declared === 'string' && declared.includes('2020-12') ? '2020' : typeof declared === 'string' && declared.includes('2019-09') ? '2019' : '07';
  let ajv = ajvByDialect.get(dialect);
  if (!ajv) {
    ajv = dialect === '2020' ? new Ajv2020(AJV_OPTIONS) : dialect === '2019' ? new Ajv2019(AJV_OPTIONS) : new Ajv(AJV_OPTIONS);
    addFormats(ajv);
    ajvByDialect.set(dialect, ajv);
  }
  return ajv;
}

interface CacheEntry {
  compiled: CompiledSchema;
  /** The private copy Ajv compiled (Ajv's cache key), so eviction can remove it from Ajv. */
  schemaCopy: object;
  ajv: AjvInstance;
}

/** A bounded map from schema JSON text to compiled validator; least recently used entries go first. */
export class JsonSchemaCache {
  private readonly entries = new Map<string, CacheEntry>();
  private compiles = 0;

  constructor(private readonly maxEntries = 200) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
  }

  /** The compiled validator for a schema; compile failures are cached too, as data. */
  get(schema: unknown): CompiledSchema {
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      return { ok: false, error: 'schema must be a JSON object' };
    }
    const key = JSON.stringify(schema);
    const hit = this.entries.get(key);
    if (hit) {
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.compiled;
    }
    const entry = this.compile(key);
    this.entries.set(key, entry);
    this.evictOverflow();
    return entry.compiled;
  }

  /** How many schemas have been compiled (cache misses), for tests and metrics. */
  get compileCount(): number {
    return this.compiles;
  }

  get size(): number {
    return this.entries.size;
  }

  private compile(key: string): CacheEntry {
    this.compiles += 1;
    // Compile a private copy so a caller mutating its object later cannot change the cached validator.
    const schemaCopy = JSON.parse(key) as object;
    const ajv = ajvFor(schemaCopy);
    try {
      return { compiled: { ok: true, validate: ajv.compile(schemaCopy) }, schemaCopy, ajv };
    } catch (err) {
      ajv.removeSchema(schemaCopy);
      return { compiled: { ok: false, error: err instanceof Error ? err.message : String(err) }, schemaCopy, ajv };
    }
  }

  private evictOverflow(): void {
    while (this.entries.size > this.maxEntries) {
      const oldestKey = this.entries.keys().next().value;
      if (oldestKey === undefined) return;
      const oldest = this.entries.get(oldestKey);
      this.entries.delete(oldestKey);
      oldest?.ajv.removeSchema(oldest.schemaCopy);
    }
  }
}

/** The process-wide cache used by validateOutput and the config schema. */
export const schemaCache = new JsonSchemaCache(200);

/** Compiles (or fetches from the shared cache) the validator for a JSON Schema. */
export function compileJsonSchema(schema: unknown): CompiledSchema {
  return schemaCache.get(schema);
}

const MAX_LISTED_ERRORS = 5;

/**
 * Ajv errors as secret-free text: path + Ajv's message (which names keywords and schema values, never
 * instance values). Only params that come from the schema are added; an extra property's name comes
 * from the answer, so it goes through the same masking as paths.
 */
export function describeAjvErrors(errors: readonly ErrorObject[] | null | undefined): string {
  const lines = [...new Set((errors ?? []).map(describeAjvError))];
  const more = lines.length > MAX_LISTED_ERRORS ? ` (+${lines.length - MAX_LISTED_ERRORS} more)` : '';
  return lines.slice(0, MAX_LISTED_ERRORS).join('; ') + more;
}

function describeAjvError(e: ErrorObject): string {
  const base = `${describeJsonPath(e.instancePath)} ${e.message ?? `fails ${e.keyword}`}`;
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'enum') return `${base} ${shortJson(params.allowedValues)}`;
  if (e.keyword === 'const') return `${base} ${shortJson(params.allowedValue)}`;
  if (e.keyword === 'additionalProperties') return `${base} (${describePathSegments([String(params.additionalProperty)]).slice(1)})`;
  return base;
}

/** Schema values in messages are capped: a long enum would swamp the summary and the retry prompt. */
function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
