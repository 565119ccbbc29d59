import type { Payload, PayloadCodec } from '@temporalio/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { invalidRequest } from '../errors';
import type { HttpDeps } from './server';

/** The Temporal UI's remote-codec body: payloads with base64 metadata values and data. */
const CodecBodySchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() })),
});
type JsonPayload = z.infer<typeof CodecBodySchema>['payloads'][number];

export interface CodecAccess {
  codec: PayloadCodec;
  /** The UI origin allowed to call (CORS), e.g. http://127.0.0.1:8233. */
  uiOrigin?: string;
  /** Embedded dev setup on loopback: the local UI may decode without a key. Else reviewer/admin keys only. */
  openOnLoopback: boolean;
}

/**
 * `POST /codec/decode` and `/codec/encode`: the remote codec the Temporal Web UI calls so ops can
 * read encrypted histories (and send decisions encrypted). Only reviewers and admins may use it.
 */
export function registerCodecEndpoint(app: FastifyInstance, deps: HttpDeps, access: CodecAccess): void {
  const cors = (reply: FastifyReply) => {
    if (!access.uiOrigin) return;
    void reply.headers({
      'access-control-allow-origin': access.uiOrigin,
      'access-control-allow-credentials': 'true',
      'access-control-allow-headers': 'content-type, x-namespace, authorization',
      'access-control-allow-methods': 'POST, OPTIONS',
    });
  };
  for (const op of ['decode', 'encode'] as const) {
    app.options(`/codec/${op}`, { config: { role: 'public' } }, async (_req, reply) => {
      cors(reply);
      return reply.status(204).send();
    });
    // Reviewers and admins (the guard, before the body is read); no key only from the embedded UI on loopback.
    const keyless = (req: FastifyRequest) => access.openOnLoopback && isLoopback(req.ip);
    // Its bodies are never stored: room for a batch of base64 payloads (Temporal allows 2 MiB each).
    app.post(`/codec/${op}`, { bodyLimit: 8 * 1024 * 1024, config: { role: ['reviewer', 'admin'], keyless } }, async (req, reply) => {
      cors(reply);
      const body = CodecBodySchema.safeParse(req.body);
      if (!body.success) throw invalidRequest('invalid_request', 'expected {"payloads": [{"metadata": {...}, "data": "..."}]}');
      const payloads = body.data.payloads.map(fromJson);
      const out = op === 'decode' ? await access.codec.decode(payloads) : await access.codec.encode(payloads);
      return { payloads: out.map(toJson) };
    });
  }
}

function isLoopback(ip: string): boolean {
  return ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1';
}

function fromJson(p: JsonPayload): Payload {
  const metadata = Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
  return { metadata, data: Buffer.from(p.data ?? '', 'base64') };
}

function toJson(p: Payload): JsonPayload {
  const metadata = Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return { metadata, data: Buffer.from(p.data ?? []).toString('base64') };
}
