/**
 * POST /v1/embeddings: deterministic vectors (a hash of each input, unit length), `dimensions`
 * honoured, usage from a token count, and the chat endpoint's faults (status, retry-after, timeout,
 * reset, malformed, latency) chosen the same way (queued > x-mock-fault header > model name).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeFloat32Base64 } from '../embeddings/vectors';
import { chooseFault, type ChatContext } from './chat';
import { estimateTokens, faultErrorBody } from './completion';
import { HttpError, readJsonBody, responseSignal, sendJson, sleep, waitForAbort } from './http';

/** Vector size when the request names no `dimensions` (small: tests read them). */
export const MOCK_EMBEDDING_DIMENSIONS = 8;
const MAX_DIMENSIONS = 4096;

export async function handleEmbeddings(req: IncomingMessage, res: ServerResponse, ctx: ChatContext): Promise<void> {
  const signal = responseSignal(res);
  const body = (await readJsonBody(req)) as Record<string, unknown> | null;
  const model = typeof body?.model === 'string' ? body.model : undefined;
  ctx.state.countCall(model);
  const { inputs, dimensions, base64 } = validate(body);
  const fault = chooseFault(req, model!, ctx.state);
  await sleep(ctx.latencyMs + (fault.latencyMs ?? 0), signal);
  if (signal.aborted) return;
  if (fault.reset) {
    req.socket.resetAndDestroy(); // RST, like a crashed upstream
    return;
  }
  if (fault.timeout) return waitForAbort(signal);
  if (fault.status !== undefined) {
    const headers: Record<string, string> = fault.retryAfterSec !== undefined ? { 'retry-after': String(fault.retryAfterSec) } : {};
    return sendJson(res, fault.status, faultErrorBody(fault.status, fault.errorCode), headers);
  }
  if (fault.malformed) return sendJson(res, 200, { object: 'list', data: [{ object: 'embedding', index: 0 }], model });
  const tokens = inputs.reduce((n, text) => n + estimateTokens(text), 0);
  const data = inputs.map((text, index) => {
    const vector = mockVector(text, dimensions);
    return { object: 'embedding', index, embedding: base64 ? encodeFloat32Base64(vector) : vector };
  });
  sendJson(res, 200, { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
}

function validate(body: Record<string, unknown> | null): { inputs: string[]; dimensions: number; base64: boolean } {
  if (!body || typeof body.model !== 'string' || body.model === '') throw new HttpError(400, 'you must provide a model parameter', 'missing_model');
  const input = body.input;
  const inputs = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((i) => typeof i === 'string' && i !== '')) {
    throw new HttpError(400, "'input' must be a non-empty string or array of non-empty strings", 'invalid_input');
  }
  const dims = body.dimensions ?? MOCK_EMBEDDING_DIMENSIONS;
  if (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 1 || dims > MAX_DIMENSIONS) {
    throw new HttpError(400, `'dimensions' must be an integer from 1 to ${MAX_DIMENSIONS}`, 'invalid_dimensions');
  }
  return { inputs: inputs as string[], dimensions: dims, base64: body.encoding_format === 'base64' };
}

/** Pure: the same text always gets the same unit vector (SHA-256 in counter mode, bytes to [-1, 1]). */
export function mockVector(text: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}:${text}`).digest();
    for (let i = 0; i + 1 < digest.length && values.length < dimensions; i += 2) values.push(digest.readUInt16BE(i) / 32767.5 - 1);
  }
  const norm = Math.sqrt(values.reduce((s, v) => s + v * v, 0)) || 1;
  return values.map((v) => Math.fround(v / norm));
}
