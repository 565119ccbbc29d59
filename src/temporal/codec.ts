import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { secretFile } from '../store/privateFiles';

const ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';

/**
 * Encrypts every payload (prompts, answers, credentials) with AES-256-GCM before it reaches the
 * Temporal server, so the history holds ciphertext only. Worker, front door and the TS client all
 * use the same key; the UI reads payloads through the gateway's codec endpoint.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(
    private readonly key: Buffer,
    private readonly keyId: string,
  ) {
    if (key.length !== 32) throw new Error('the payload key must be 32 bytes (base64 in GATEHOUSE_CODEC_KEY)');
  }

  /** A 32-byte key for another purpose (e.g. the stream relay), derived from this one: never the payload key itself. */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `gatehouse ${purpose}`, 32));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => ({
      metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCODING), [KEY_ID]: Buffer.from(this.keyId) },
      data: this.encrypt(temporal.api.common.v1.Payload.encode(p).finish()),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (Buffer.from(p.metadata?.[METADATA_ENCODING_KEY] ?? []).toString() !== ENCODING) return p;
      const keyId = Buffer.from(p.metadata?.[KEY_ID] ?? []).toString();
      if (keyId !== this.keyId) throw new PayloadDecodeError('unknown_key_id', `A payload was encrypted with another key id; this process has "${this.keyId}"`);
      try {
        return temporal.api.common.v1.Payload.decode(this.decrypt(Buffer.from(p.data ?? [])));
      } catch {
        throw new PayloadDecodeError('invalid_payload', 'A payload could not be decrypted (tampered or truncated ciphertext)');
      }
    });
  }

  private encrypt(plain: Uint8Array): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]);
  }

  private decrypt(blob: Buffer): Buffer {
    if (blob.length < 28) throw new Error('too short for iv and tag');
    const decipher = createDecipheriv('aes-256-gcm', this.key, blob.subarray(0, 12));
    decipher.setAuthTag(blob.subarray(blob.length - 16));
    return Buffer.concat([decipher.update(blob.subarray(12, blob.length - 16)), decipher.final()]);
  }
}

/** A payload this codec cannot decode; `code` is stable (the codec endpoint answers 400 with it). */
export class PayloadDecodeError extends Error {
  constructor(
    readonly code: 'unknown_key_id' | 'invalid_payload',
    message: string,
  ) {
    super(message);
  }
}

/**
 * `GATEHOUSE_CODEC_KEY` (base64, 32 bytes) with optional `GATEHOUSE_CODEC_KEY_ID`; else a key made
 * once for this machine in `<dataDir>/codec-key` (mode 0600), which suits the embedded default.
 */
export function loadCodec(env: NodeJS.ProcessEnv, keyFile: string): EncryptionCodec {
  if (env.GATEHOUSE_CODEC_KEY) return new EncryptionCodec(Buffer.from(env.GATEHOUSE_CODEC_KEY, 'base64'), env.GATEHOUSE_CODEC_KEY_ID ?? 'env');
  const key = secretFile(keyFile, () => randomBytes(32).toString('base64'));
  return new EncryptionCodec(Buffer.from(key, 'base64'), 'local');
}
