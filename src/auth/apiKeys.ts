import { createHash, randomBytes } from 'node:crypto';
import type { CallerConfig, Config } from '../config/schema';
import { unauthenticated } from '../errors';

/**
 * API keys are 32 random bytes, so SHA-256 is as strong as a slow KDF here (no dictionary to
 * attack) and costs microseconds on the request path. Only the hash is ever stored.
 */
export function hashApiKey(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

export function newApiKey(): string {
  return `gh_${randomBytes(32).toString('base64url')}`;
}

export interface AuthenticatedCaller {
  name: string;
  config: CallerConfig;
}

/** Key hash → caller, built once per config. `demoKey` is the key of the caller marked `demo`. */
export class CallerDirectory {
  private readonly byHash = new Map<string, AuthenticatedCaller>();

  constructor(config: Config, demoKey?: string) {
    for (const [name, caller] of Object.entries(config.callers)) {
      const hash = caller.keyHash ?? (caller.demo && demoKey ? hashApiKey(demoKey) : undefined);
      if (hash) this.byHash.set(hash, { name, config: caller });
    }
  }

  /** From an `Authorization: Bearer …` header value. Throws `Unauthenticated` (401). */
  authenticate(authorization: string | undefined): AuthenticatedCaller {
    return this.authenticateKey(bearerKey(authorization));
  }

  authenticateKey(key: string | undefined): AuthenticatedCaller {
    if (!key) throw unauthenticated('missing_api_key', 'Missing API key: send "Authorization: Bearer <key>"');
    // Looking up the key's hash (not the key) means lookup timing reveals nothing about valid keys.
    const found = this.byHash.get(hashApiKey(key));
    if (!found) throw unauthenticated('invalid_api_key', 'Incorrect API key provided');
    return found;
  }

  /** From the key hash a sealed credential carries (src/auth/credentialSeal.ts). */
  authenticateHash(keyHash: string): AuthenticatedCaller {
    const found = this.byHash.get(keyHash);
    if (!found) throw unauthenticated('invalid_api_key', 'Incorrect API key provided');
    return found;
  }
}

export function bearerKey(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}
