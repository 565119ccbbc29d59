import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ChatChunk } from './chunks';

/**
 * The cross-process stream relay's wire format (src/streaming/relay.ts does the Redis I/O). Pure.
 *
 * One message carries one step of one try: its first (committing) message holds the held-back
 * leading chunks and the first meaningful one; later messages one chunk each; the last says the try
 * finished. Every message is sealed with AES-256-GCM under a key derived from the payload codec key
 * and bound to its request's channel (the channel id is the additional data), so Redis sees only
 * ciphertext and a message cannot be replayed into another request. Channel names are an HMAC of the
 * request id: Redis never learns ids or idempotency keys either. Chunks are provider output only:
 * no credential ever enters a message.
 */
export const RelayMessageSchema = z.object({
  /** Random per try execution: two runs of one attempt number (a lost worker's replay) differ. */
  try: z.string().min(1).max(64),
  attempt: z.number().int().positive(),
  model: z.string().max(200),
  continues: z.boolean().optional(),
  /** This try's message counter, from 0: a skipped message is a gap. */
  n: z.number().int().nonnegative(),
  chunks: z.array(z.custom<ChatChunk>((v) => typeof v === 'object' && v !== null && Array.isArray((v as ChatChunk).choices))),
  /** The try returned its whole answer. */
  finish: z.boolean().optional(),
});
export type RelayMessage = z.infer<typeof RelayMessageSchema>;

export interface RelayNames {
  /** The pub/sub channel a front door listens on. */
  channel: string;
  /** The hash holding the request's commit state (the one authority on which try the caller sees). */
  state: string;
}

export class RelaySeal {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the relay key must be 32 bytes');
  }

  names(requestId: string): RelayNames {
    const id = createHmac('sha256', this.key).update(requestId).digest('base64url').slice(0, 32);
    return { channel: `gatehouse:stream:${id}`, state: `gatehouse:stream-state:${id}` };
  }

  seal(channel: string, message: RelayMessage): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv).setAAD(Buffer.from(channel));
    const body = Buffer.concat([cipher.update(JSON.stringify(message)), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]);
  }

  /** The message, or undefined when it was not sealed for this channel with this key (or is malformed). */
  open(channel: string, blob: Buffer): RelayMessage | undefined {
    if (blob.length < 29) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, blob.subarray(0, 12)).setAAD(Buffer.from(channel));
      decipher.setAuthTag(blob.subarray(blob.length - 16));
      const plain = Buffer.concat([decipher.update(blob.subarray(12, blob.length - 16)), decipher.final()]);
      const parsed = RelayMessageSchema.safeParse(JSON.parse(plain.toString('utf8')));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }
}

/** A published frame is `<seq>:<sealed message>`: Redis numbers every message of a request (1, 2, …). */
export function parseFrame(frame: Buffer): { seq: number; sealed: Buffer } | undefined {
  const colon = frame.indexOf(0x3a);
  if (colon < 1 || colon > 15) return undefined;
  const seq = Number(frame.subarray(0, colon).toString('latin1'));
  return Number.isSafeInteger(seq) && seq > 0 ? { seq, sealed: frame.subarray(colon + 1) } : undefined;
}

/**
 * Order and loss detection at the listening end. Redis numbers a request's messages in one
 * sequence (whichever worker sent them) and each try numbers its own: the next message must carry
 * the next number of both, else something was lost (a subscriber reconnect, a worker that dropped
 * messages under back-pressure) and the live stream can no longer be trusted.
 */
export class RelayOrder {
  private nextSeq = 1;
  private readonly tries = new Map<string, number>();

  constructor(private readonly maxTries = 64) {}

  /** 'ok', or why the message breaks the stream. */
  accept(seq: number, message: RelayMessage): 'ok' | 'gap' | 'too_many_tries' {
    if (seq !== this.nextSeq) return 'gap';
    this.nextSeq++;
    const last = this.tries.get(message.try);
    if (last === undefined ? message.n !== 0 : message.n !== last + 1) return 'gap';
    if (last === undefined && this.tries.size >= this.maxTries) return 'too_many_tries';
    this.tries.set(message.try, message.n);
    return 'ok';
  }
}
