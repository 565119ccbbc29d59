/**
 * Regex sources from the config's `mustMatch` / `mustNotMatch`. They are JavaScript syntax, but
 * people habitually write a PCRE-style leading `(?i)`, so leading inline flags are accepted and
 * turned into RegExp flags. Sources come from the config file (trusted), so ReDoS is not guarded.
 */

const LEADING_INLINE_FLAGS = /^\(\?([ims]+)\)/;

/** Compiled patterns by source; the set of sources is bounded by the config, so no eviction. */
const compiledBySource = new Map<string, RegExp>();

/** Compiles a config pattern source; throws SyntaxError when it is not a valid regex. */
export function compileRulePattern(source: string): RegExp {
  const cached = compiledBySource.get(source);
  if (cached) return cached;
  const inline = LEADING_INLINE_FLAGS.exec(source);
  const flags = inline?.[1] ? uniqueFlags(inline[1]) : '';
  const body = inline ? source.slice(inline[0].length) : source;
  // No `g`/`y` flag: those make RegExp.test stateful (lastIndex), which would make checks flaky.
  const compiled = new RegExp(body, flags);
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

function uniqueFlags(flags: string): string {
  return [...new Set(flags)].join('');
}
