import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { secretFile } from '../store/privateFiles';
import { join } from 'node:path';
import { unauthenticated } from '../errors';
import { hashApiKey } from './apiKeys';
import { SEALED_PREFIX, parseEnvelope } from './envelope';
import { hpkeOpen, hpkeSeal, x25519PrivateKey } from './hpke';

/**
 * Sealed credentials (issue 12, item 4). A caller's or reviewer's API key never enters a Temporal
 * payload: the sender seals the key's SHA-256 hash with HPKE (X25519, HKDF-SHA256, AES-256-GCM;
 * ./hpke.ts) to a key pair whose private half only workers hold, bound to the workflow id, the purpose (`start`,
 * or `review` plus the decision's digest) and the issue time. The payload codec, the UI and the
 * codec endpoint can decrypt the payload around it but not the envelope, and even a worker only
 * recovers a hash, never a key that would authenticate over HTTP.
 */

const INFO = Buffer.from('gatehouse sealed credential v1');
/** Clock difference allowed between the sealing host and the Temporal server. */
const SKEW_MS = 60_000;
/** A start envelope is used by the workflow it was sealed for within seconds; a review one too. */
const MAX_AGE_MS = 2 * 60_000;

export type SealBinding = { workflowId: string; purpose: 'start' } | { workflowId: string; purpose: 'review'; decisionDigest: string };

/** Workflow times the opener checks the issue time against (passed in, so replays decide alike). */
export interface OpenWindow {
  /** The workflow's start time. */
  startedAtMs: number;
  /** Review only: workflow time when the decision arrived. */
  nowMs?: number;
}

/** What a review envelope is bound to: the decision as sent (so it cannot be reused for another). */
export function decisionDigest(d: { action: string; comment?: string; content?: string; reason?: string }): string {
  return sha256(JSON.stringify([d.action, d.comment ?? null, d.content ?? null, d.reason ?? null]));
}

export class CredentialSealer {
  readonly kid: string;

  constructor(readonly publicKey: Buffer) {
    if (publicKey.length !== 32) throw new Error('the credential public key must be 32 bytes (base64)');
    this.kid = keyId(publicKey);
  }

  /** `ghsealed1.<kid>.<enc>.<ct>`: a raw API key in, an envelope holding only its hash out. */
  async seal(rawKey: string, binding: SealBinding, issuedAtMs = Date.now()): Promise<string> {
    const plain = Buffer.from(JSON.stringify({ h: hashApiKey(rawKey), t: issuedAtMs }));
    const { enc, ct } = hpkeSeal(this.publicKey, INFO, aad(binding), plain);
    return [SEALED_PREFIX, this.kid, enc.toString('base64url'), ct.toString('base64url')].join('.');
  }
}

export class CredentialOpener {
  private readonly keys = new Map<string, ReturnType<typeof x25519PrivateKey>>();

  /** Private keys, current first; older ones still open envelopes sealed before a rotation. */
  constructor(privateKeys: Buffer[]) {
    for (const sk of privateKeys) {
      const key = x25519PrivateKey(sk);
      this.keys.set(keyId(key.publicKey), key);
    }
  }

  /** The sealed key hash, once binding and issue time check out; else `Unauthenticated` with a stable code. */
  async open(envelope: unknown, binding: SealBinding, window: OpenWindow): Promise<string> {
    if (envelope === undefined || envelope === '') throw unauthenticated('missing_api_key', 'Missing credential');
    const parts = parseEnvelope(envelope);
    // Never echo the value: it may be a raw key sent where an envelope belongs.
    if (!parts) throw unauthenticated('credential_not_sealed', 'The credential must be a sealed envelope, not an API key (use the gateway API, the CLI or GatehouseClient)');
    const key = this.keys.get(parts.kid);
    if (!key) throw unauthenticated('credential_key_unknown', 'The credential was sealed to a key these workers do not hold');
    let sealed: { h?: unknown; t?: unknown };
    try {
      const plain = hpkeOpen(key, Buffer.from(parts.enc, 'base64url'), INFO, aad(binding), Buffer.from(parts.ct, 'base64url'));
      sealed = JSON.parse(plain.toString()) as typeof sealed;
    } catch {
      throw unauthenticated('credential_invalid', 'The credential envelope is not valid for this request');
    }
    if (typeof sealed.h !== 'string' || typeof sealed.t !== 'number') throw unauthenticated('credential_invalid', 'The credential envelope is not valid for this request');
    if (!withinWindow(sealed.t, binding.purpose, window)) throw unauthenticated('credential_expired', 'The credential envelope has expired; send the request again');
    return sealed.h;
  }
}

function withinWindow(issuedAt: number, purpose: SealBinding['purpose'], w: OpenWindow): boolean {
  if (purpose === 'start') return issuedAt <= w.startedAtMs + SKEW_MS && w.startedAtMs - issuedAt <= MAX_AGE_MS;
  const now = w.nowMs ?? w.startedAtMs;
  return issuedAt >= w.startedAtMs - SKEW_MS && issuedAt <= now + SKEW_MS && now - issuedAt <= MAX_AGE_MS;
}

function aad(b: SealBinding): Buffer {
  return Buffer.from(JSON.stringify([b.workflowId, b.purpose, b.purpose === 'review' ? b.decisionDigest : null]));
}

export interface CredentialKeys {
  sealer: CredentialSealer;
  /** Only where workflows run (`open: true`). */
  opener?: CredentialOpener;
  /** The key pair was made just now in the data dir (a front door alone would seal to a key no worker holds). */
  created?: boolean;
}

/**
 * Workers: `GATEHOUSE_CREDENTIAL_KEY` (base64 X25519 private keys, comma-separated, current first),
 * else `<dataDir>/credential-key` made once (mode 0600, its public half beside it in
 * `credential-key.pub`). Front doors and clients need only the public key:
 * `GATEHOUSE_CREDENTIAL_PUBLIC_KEY`, else `<dataDir>/credential-key.pub` (the embedded setup shares
 * the data dir; a front door on its own host gets the variable).
 */
export function loadCredentialKeys(env: NodeJS.ProcessEnv, dataDir: string, opts: { open: boolean; create?: boolean }): CredentialKeys {
  const fromEnv = env.GATEHOUSE_CREDENTIAL_KEY?.split(',').map((k) => Buffer.from(k.trim(), 'base64'));
  if (fromEnv?.length) return keysFrom(fromEnv, opts.open);
  if (!opts.open && env.GATEHOUSE_CREDENTIAL_PUBLIC_KEY) return { sealer: new CredentialSealer(Buffer.from(env.GATEHOUSE_CREDENTIAL_PUBLIC_KEY, 'base64')) };
  const pubFile = join(dataDir, 'credential-key.pub');
  if (!opts.open && existsSync(pubFile)) return { sealer: new CredentialSealer(readBase64(pubFile)) };
  if (opts.create === false && !existsSync(join(dataDir, 'credential-key'))) throw new Error(`no credential public key: set GATEHOUSE_CREDENTIAL_PUBLIC_KEY (\`gatehouse keys credential\` on a worker prints it) or provide ${pubFile}`);
  const created = !existsSync(join(dataDir, 'credential-key'));
  return { ...keysFrom([ensureKeyFile(dataDir)], opts.open), created };
}

/** The public key a front door or client needs, base64 (for `gatehouse keys credential`). */
export function credentialPublicKey(env: NodeJS.ProcessEnv, dataDir: string): string {
  return loadCredentialKeys(env, dataDir, { open: false, create: false }).sealer.publicKey.toString('base64');
}

function keysFrom(privateKeys: Buffer[], open: boolean): CredentialKeys {
  const sealer = new CredentialSealer(x25519PrivateKey(privateKeys[0]!).publicKey);
  return open ? { sealer, opener: new CredentialOpener(privateKeys) } : { sealer };
}

/** The key pair made once in the data dir; its public half beside it for front doors and clients. */
function ensureKeyFile(dataDir: string): Buffer {
  const file = join(dataDir, 'credential-key');
  const newKey = () => Buffer.from(generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' }).d!, 'base64url').toString('base64');
  const privateKey = Buffer.from(secretFile(file, newKey), 'base64');
  if (!existsSync(`${file}.pub`)) writeFileSync(`${file}.pub`, `${x25519PrivateKey(privateKey).publicKey.toString('base64')}\n`);
  return privateKey;
}

function keyId(publicKey: Buffer): string {
  return sha256(publicKey).slice(0, 16);
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function readBase64(file: string): Buffer {
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}
