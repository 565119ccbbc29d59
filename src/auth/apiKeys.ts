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

/**
 * Key hash → caller, built once per config. `demoKey` is the key of the caller marked `demo`.
 * A caller being rotated has two hashes: `keyHash` and `previousKey.keyHash`, the latter refused
 * from its `expiresAt` on (checked at each use, so it expires without a reload).
 */
export class CallerDirectory {
  private readonly byHash = new Map<string, AuthenticatedCaller>();
  /** Hash → ms since the epoch from which it is refused (rotated-out keys only). */
  private readonly expiresAt = new Map<string, number>();

  constructor(
    config: Config,
    demoKey?: string,
    private readonly now: () => number = Date.now,
  ) {
    for (const [name, caller] of Object.entries(config.callers)) {
      const hash = caller.keyHash ?? (caller.demo && demoKey ? hashApiKey(demoKey) : undefined);
      if (hash) this.byHash.set(hash, { name, config: caller });
      const previous = caller.previousKey;
      if (previous && !this.byHash.has(previous.keyHash)) {
        this.byHash.set(previous.keyHash, { name, config: caller });
        this.expiresAt.set(previous.keyHash, Date.parse(previous.expiresAt));
      }
    }
  }

  /** From an `Authorization: Bearer …` header value. Throws `Unauthenticated` (401). */
  authenticate(authorization: string | undefined): AuthenticatedCaller {
    return this.authenticateKey(bearerKey(authorization));
  }

  authenticateKey(key: string | undefined): AuthenticatedCaller {
    if (!key) throw unauthenticated('missing_api_key', 'Missing API key: send "Authorization: Bearer <key>" or "x-api-key: <key>"');
    // Looking up the key's hash (not the key) means lookup timing reveals nothing about valid keys.
    return this.byKeyHash(hashApiKey(key));
  }

  /** The caller of a key hash, unless unknown or a rotated-out key past its expiry (401 either way). */
  private byKeyHash(hash: string): AuthenticatedCaller {
    const found = this.byHash.get(hash);
    if (!found) throw unauthenticated('invalid_api_key', 'Incorrect API key provided');
    const expiresAt = this.expiresAt.get(hash);
    if (expiresAt !== undefined && this.now() >= expiresAt) throw unauthenticated('expired_api_key', 'This API key was rotated out and has expired: use the new key');
    return found;
  }

  /** From the key hash a sealed credential carries (src/auth/credentialSeal.ts). */
  authenticateHash(keyHash: string): AuthenticatedCaller {
    return this.byKeyHash(keyHash);
  }
}

export function bearerKey(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
}

/**
 * The key a request presents: `Authorization: Bearer <key>` (OpenAI's SDKs, and Anthropic's since
 * 1.x), else `x-api-key: <key>` (Anthropic's API and its older SDKs). Bearer wins when both are sent.
 */
export function presentedKey(headers: { authorization?: string; 'x-api-key'?: string | string[] }): string | undefined {
  const bearer = bearerKey(headers.authorization);
  if (bearer) return bearer;
  const x = headers['x-api-key'];
  return typeof x === 'string' ? /^\s*(\S+)\s*$/.exec(x)?.[1] : undefined;
}
