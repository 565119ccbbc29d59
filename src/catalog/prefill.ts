/**
 * May a model continue a trailing assistant message (a prefill)? Only such a model is asked to
 * finish a stream that broke after the caller saw part of it (src/streaming/continuation.ts).
 * The catalogue's `prefill` wins; else the provider kind's documented behaviour:
 * - anthropic: yes (Messages API: a final assistant turn is continued);
 * - bedrock: Claude models yes (the same Messages semantics through Converse), others no;
 * - mock: yes (the test provider continues a prefill, or refuses it when told: `reject-prefill`);
 * - openai, azure: no (Chat Completions answers after a trailing assistant message, it does not continue it);
 * - gemini: no (some models answer 400 "Requests ending with a model turn are not supported");
 * - openai-compatible and any other kind: no unless the catalogue says so.
 * Pure.
 */
export function acceptsPrefill(declared: boolean | undefined, providerKind: string | undefined, upstream: string): boolean {
  if (declared !== undefined) return declared;
  if (providerKind === 'anthropic' || providerKind === 'mock') return true;
  if (providerKind === 'bedrock') return /(^|[.:/])anthropic\.claude/.test(upstream);
  return false;
}
