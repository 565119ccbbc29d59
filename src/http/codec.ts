import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { isSealedCredential } from '../auth';
import { invalidRequest, policyDenied } from '../errors';
import { PayloadDecodeError } from '../temporal/codec';

/** The Temporal UI's remote-codec body: payloads with base64 metadata values and data. */
const CodecBodySchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() })),
});
type JsonPayload = z.infer<typeof CodecBodySchema>['payloads'][number];

export interface CodecAccess {
  codec: PayloadCodec;
  /** UI origins allowed to call (CORS and the `Origin` check), e.g. http://127.0.0.1:8233. */
  uiOrigins: string[];
  /**
   * `Host` values naming this gateway (filled in once it listens); a request naming another host
   * (DNS rebinding, a forged Host) is refused. Empty: any (a gateway on all interfaces, keys required).
   */
  hosts: string[];
  /**
   * The embedded setup's per-start random token: the local UI is given `/codec/<token>` as its codec
   * endpoint and needs no key there. Absent: reviewer/admin keys only.
   */
  uiToken?: string;
}

/**
 * `POST /codec/decode` and `/codec/encode` (reviewer or admin key), and `/codec/<token>/…` for the
 * embedded UI: the remote codec the Temporal Web UI calls so ops can read encrypted histories. It
 * never opens sealed credentials (it has no key for them), and encode refuses raw API keys.
 */
export function registerCodecEndpoint(app: FastifyInstance, access: CodecAccess): void {
  for (const op of ['decode', 'encode'] as const) {
    for (const path of [`/codec/${op}`, `/codec/:token/${op}`]) {
      const viaToken = path.includes(':token');
      app.options(path, { config: { role: 'public' } }, async (req, reply) => {
        cors(req, reply, access);
        return reply.status(204).send();
      });
      // Reviewers and admins (the guard, before the body is read); the embedded UI's token path needs
      // no key. Its bodies are never stored: room for a batch of base64 payloads (2 MiB each at most).
      app.post<{ Params: { token?: string } }>(path, {
        bodyLimit: 8 * 1024 * 1024,
        config: { role: ['reviewer', 'admin'], keyless: viaToken ? () => true : undefined },
        onRequest: async (req) => checkAddressing(req as FastifyRequest<{ Params: { token?: string } }>, access),
      }, async (req, reply) => {
        cors(req, reply, access);
        const body = CodecBodySchema.safeParse(req.body);
        if (!body.success) throw invalidRequest('invalid_request', 'expected {"payloads": [{"metadata": {...}, "data": "..."}]}');
        const payloads = body.data.payloads.map(fromJson);
        if (op === 'encode') refuseRawCredentials(payloads);
        const out = await run(access.codec, op, payloads);
        return { payloads: (op === 'decode' ? out.map(redactRawCredential) : out).map(toJson) };
      });
    }
  }
}

function cors(req: FastifyRequest, reply: FastifyReply, access: CodecAccess): void {
  const origin = req.headers.origin;
  if (!origin || !access.uiOrigins.includes(origin)) return;
  void reply.headers({
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    'access-control-allow-headers': 'content-type, x-namespace, authorization',
    'access-control-allow-methods': 'POST, OPTIONS',
    vary: 'Origin',
  });
}

/** Host and Origin (a browser tricked into calling us names another host or origin), then the UI's token. */
function checkAddressing(req: FastifyRequest<{ Params: { token?: string } }>, access: CodecAccess): void {
  const token = req.params.token;
  if (access.hosts.length > 0 && !access.hosts.includes((req.headers.host ?? '').toLowerCase())) {
    throw policyDenied('codec_host_not_allowed', 'The codec endpoint answers only requests addressed to this gateway');
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !access.uiOrigins.includes(origin)) {
    throw policyDenied('codec_origin_not_allowed', 'The codec endpoint answers only the configured Temporal UI');
  }
  if (token !== undefined && (!access.uiToken || !sameSecret(token, access.uiToken))) {
    throw policyDenied('codec_not_allowed', 'Unknown codec endpoint token');
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A bad payload is the caller's mistake: 400 with the codec's stable code, never a 5xx. */
async function run(codec: PayloadCodec, op: 'decode' | 'encode', payloads: Payload[]): Promise<Payload[]> {
  try {
    return op === 'decode' ? await codec.decode(payloads) : await codec.encode(payloads);
  } catch (err) {
    if (err instanceof PayloadDecodeError) throw invalidRequest(err.code, err.message);
    throw err;
  }
}

/**
 * A decision typed into the UI would carry a raw reviewer key, which the history would then keep
 * (encrypted only with the codec key every reviewer's UI can use). Refused: reviewers decide with
 * `gatehouse review` or the review API, which seal the key to the workers.
 */
function refuseRawCredentials(payloads: Payload[]): void {
  if (payloads.some((p) => rawCredentialIn(p) !== undefined)) {
    throw invalidRequest('raw_credential_refused', 'Raw API keys are not accepted here: decide with `gatehouse review` or the review API (they seal your key)', 'credential');
  }
}

/**
 * A raw key can still sit in a history: one written before credentials were sealed, or a signal
 * someone sent around the API (signals have no validator). The endpoint never shows it.
 */
function redactRawCredential(p: Payload): Payload {
  const value = rawCredentialIn(p);
  if (!value) return p;
  return { ...p, data: Buffer.from(JSON.stringify({ ...value, credential: '[redacted: raw API key]' })) };
}

/** The JSON object of a plain JSON payload whose `credential` is not a sealed envelope, else undefined. */
function rawCredentialIn(p: Payload): Record<string, unknown> | undefined {
  if (Buffer.from(p.metadata?.[METADATA_ENCODING_KEY] ?? []).toString() !== 'json/plain') return undefined;
  const data = Buffer.from(p.data ?? []);
  if (!data.includes('"credential"')) return undefined; // most payloads: no parse at all
  let value: unknown;
  try {
    value = JSON.parse(data.toString());
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const credential = (value as { credential?: unknown }).credential;
  return credential !== undefined && !isSealedCredential(credential) ? (value as Record<string, unknown>) : undefined;
}

function fromJson(p: JsonPayload): Payload {
  const metadata = Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
  return { metadata, data: Buffer.from(p.data ?? '', 'base64') };
}

function toJson(p: Payload): JsonPayload {
  const metadata = Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return { metadata, data: Buffer.from(p.data ?? []).toString('base64') };
}
