import { RE2JS } from 're2js';

/**
 * Every pattern the gateway runs on text it did not write goes through RE2 (re2js, a pure-JS port):
 * matching is linear in the text whatever the pattern, so `^(a+)+$` against "aaaa…!" costs
 * microseconds instead of minutes. That covers caller-sent `response_format` JSON Schema `pattern` /
 * `patternProperties` (Ajv's `code.regExp`, see jsonSchema.ts) and the config's `mustMatch` /
 * `mustNotMatch` and `jsonSchema`. Sources are JavaScript syntax (translated to RE2's); what RE2
 * cannot run in linear time — lookahead, lookbehind, backreferences — is refused with a clear error.
 * Small differences from JavaScript: `\s` is ASCII whitespace, `.` only excludes "\n".
 */

export interface LinearPattern {
  test(text: string): boolean;
}

/** A pattern the linear-time engine cannot run; `message` names the pattern and the reason. */
export class UnsupportedPatternError extends Error {
  override readonly name = 'UnsupportedPatternError';
}

/** Leading PCRE-style inline flags (`(?i)`), which people habitually write; RE2 reads them natively. */
const LEADING_INLINE_FLAGS = /^\(\?([ims]+)\)/;

/** Compiles a JavaScript-syntax source for RE2; throws UnsupportedPatternError when it cannot. */
export function compileLinear(source: string, flags = ''): LinearPattern {
  let re2Flags = 0;
  if (flags.includes('i')) re2Flags |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes('m')) re2Flags |= RE2JS.MULTILINE;
  if (flags.includes('s')) re2Flags |= RE2JS.DOTALL;
  try {
    const inline = LEADING_INLINE_FLAGS.exec(source);
    // translateRegExp turns JS-only spellings (\u00e9, (?<name>…), [^]) into RE2's.
    const body = inline ? `${inline[0]}${RE2JS.translateRegExp(source.slice(inline[0].length))}` : RE2JS.translateRegExp(source);
    return RE2JS.compile(body, re2Flags);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new UnsupportedPatternError(`pattern ${JSON.stringify(short(source))} cannot be used: ${why} (patterns run on a linear-time engine, RE2: no lookahead, lookbehind or backreferences)`);
  }
}

function short(source: string): string {
  return source.length > 80 ? `${source.slice(0, 77)}...` : source;
}

/**
 * Ajv's regular-expression engine (`code: { regExp }`): every `pattern` and `patternProperties` key of
 * a schema compiles through RE2. `code` is only used by Ajv's standalone code generation.
 */
export const re2RegExp = Object.assign((pattern: string, _unicode: string): LinearPattern => compileLinear(pattern), {
  code: 'require("gatehouse/src/validation/regex").re2RegExp',
});

/** Compiled config patterns by source; the set of sources is bounded by the config, so no eviction. */
// eslint-disable-next-line no-restricted-syntax -- a memo of a pure function (same input, same result): sharing it across runs changes no decision
const compiledBySource = new Map<string, LinearPattern>();

/** Compiles a config `mustMatch` / `mustNotMatch` source; throws UnsupportedPatternError when it cannot. */
export function compileRulePattern(source: string): LinearPattern {
  const cached = compiledBySource.get(source);
  if (cached) return cached;
  const compiled = compileLinear(source);
  compiledBySource.set(source, compiled);
  return compiled;
}

/** The compile error for a source, or undefined when it compiles (for config validation). */
export function patternCompileError(source: string): string | undefined {
  try {
    compileRulePattern(source);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
