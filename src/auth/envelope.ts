/**
 * The sealed-credential envelope's outer format, workflow-safe (no imports): `ghsealed1.<kid>.<enc>.<ct>`
 * with base64url parts. Workflow code and the update validator only ever check this shape; opening
 * needs the workers' private key (src/auth/credentialSeal.ts).
 */
export const SEALED_PREFIX = 'ghsealed1';

/** Longest envelope accepted (the sealed plaintext is a key hash and a time: ~220 characters). */
export const MAX_ENVELOPE = 512;

export interface EnvelopeParts {
  kid: string;
  enc: string;
  ct: string;
}

const PART = /^[A-Za-z0-9_-]+$/;

/** The envelope's parts, or undefined for anything else (a raw API key included). Linear time. */
export function parseEnvelope(value: unknown): EnvelopeParts | undefined {
  if (typeof value !== 'string' || value.length > MAX_ENVELOPE) return undefined;
  const parts = value.split('.');
  if (parts.length !== 4 || parts[0] !== SEALED_PREFIX) return undefined;
  const [, kid, enc, ct] = parts as [string, string, string, string];
  if (![kid, enc, ct].every((p) => PART.test(p))) return undefined;
  return { kid, enc, ct };
}

export function isSealedCredential(value: unknown): value is string {
  return parseEnvelope(value) !== undefined;
}
