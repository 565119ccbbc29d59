/** POST /v1/chat/completions: validation, fault selection, and the (possibly misbehaving) response. */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type ChatRequest,
  type ResponseMeta,
  buildAnswer,
  buildStreamPlan,
  completionObject,
  errorBody,
  faultErrorBody,
} from './completion';
import { type Fault, FaultSpecError, selectFault } from './faults';
import { HttpError, readJsonBody, responseSignal, sendJson, sleep, waitForAbort } from './http';
import type { MockState } from './state';

export interface ChatContext {
  state: MockState;
  /** Base latency added to every chat completion request. */
  latencyMs: number;
  /** Default inter-chunk delay for streams (a `chunk-delay` fault overrides it). */
  chunkDelayMs: number;
}

const MALFORMED_BODY = '{"id": "chatcmpl-broken", "choices": [';
const MALFORMED_CHUNK = 'data: {"id": "chatcmpl-broken", "choices": [\n\n';

export async function handleChatCompletion(req: IncomingMessage, res: ServerResponse, ctx: ChatContext): Promise<void> {
  const signal = responseSignal(res);
  let body: unknown;
  try {
    body = await readJsonBody(req);
  } catch (err) {
    ctx.state.countCall(); // still a request the provider received
    throw err;
  }
  const model = (body as { model?: unknown } | null)?.model;
  // Count before validating or faulting so tests can count every provider hit.
  ctx.state.countCall(typeof model === 'string' ? model : undefined);
  const request = validateRequest(body);
  const fault = chooseFault(req, request.model, ctx.state);

  await sleep(ctx.latencyMs + (fault.latencyMs ?? 0), signal);
  if (signal.aborted) return;
  await respond(req, res, request, fault, ctx, signal);
}

function validateRequest(body: unknown): ChatRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'Request body must be a JSON object.', 'invalid_request');
  }
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model === '') {
    throw new HttpError(400, 'you must provide a model parameter', 'missing_model');
  }
  if (!Array.isArray(b.messages) || b.messages.length === 0) {
    throw new HttpError(400, "'messages' must be a non-empty array", 'missing_messages');
  }
  for (const m of b.messages as unknown[]) {
    if (typeof m !== 'object' || m === null || typeof (m as { role?: unknown }).role !== 'string') {
      throw new HttpError(400, "each message needs a string 'role'", 'invalid_messages');
    }
  }
  return body as ChatRequest;
}

export function chooseFault(req: IncomingMessage, model: string, state: MockState): Fault {
  const raw = req.headers['x-mock-fault'];
  const header = Array.isArray(raw) ? raw.join(',') : raw;
  try {
    return selectFault({ queued: state.nextQueued(model), header, model });
  } catch (err) {
    if (err instanceof FaultSpecError) throw new HttpError(400, err.message, 'invalid_mock_fault');
    throw err;
  }
}

async function respond(
  req: IncomingMessage,
  res: ServerResponse,
  request: ChatRequest,
  fault: Fault,
  ctx: ChatContext,
  signal: AbortSignal,
): Promise<void> {
  if (fault.reset) {
    // RST instead of FIN so clients see ECONNRESET, like a crashed upstream.
    req.socket.resetAndDestroy();
    return;
  }
  if (fault.timeout) return waitForAbort(signal);
  if (fault.status !== undefined) {
    const headers: Record<string, string> =
      fault.retryAfterSec !== undefined ? { 'retry-after': String(fault.retryAfterSec) } : {};
    return sendJson(res, fault.status, faultErrorBody(fault.status, fault.errorCode), headers);
  }
  if (fault.rejectPrefill && request.messages.at(-1)?.role === 'assistant') {
    const msg = 'This model does not support assistant message prefill';
    return sendJson(res, 400, errorBody(msg, 'invalid_request_error', 'unsupported_prefill'));
  }
  if (fault.malformed) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(MALFORMED_BODY);
    return;
  }
  const meta: ResponseMeta = { id: newId(), created: Math.floor(Date.now() / 1000), model: request.model };
  if (request.stream === true) return streamAnswer(res, request, meta, fault, ctx, signal);
  sendJson(res, 200, completionObject(meta, buildAnswer(request, fault.answerTokens)));
}

function newId(): string {
  return `chatcmpl-mock-${randomBytes(8).toString('hex')}`;
}

function writeEvent(res: ServerResponse, data: object | string): void {
  res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
}

async function streamAnswer(
  res: ServerResponse,
  request: ChatRequest,
  meta: ResponseMeta,
  fault: Fault,
  ctx: ChatContext,
  signal: AbortSignal,
): Promise<void> {
  const includeUsage = request.stream_options?.include_usage === true;
  const plan = buildStreamPlan(meta, buildAnswer(request, fault.answerTokens), includeUsage);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders(); // headers go out now, so first-token delay is measurable separately from latency
  // Delay before the role chunk too: no byte after headers arrives before the "first token".
  await sleep(fault.firstTokenMs ?? 0, signal);
  if (signal.aborted) return;
  if (fault.garbageStream) {
    // As many events as the answer has, none of them readable.
    for (let i = 0; i < plan.contents.length + 2; i++) res.write(MALFORMED_CHUNK);
    writeEvent(res, '[DONE]');
    res.end();
    return;
  }
  writeEvent(res, plan.role);

  const chunkDelay = fault.chunkDelayMs ?? ctx.chunkDelayMs;
  const total = plan.contents.length;
  for (let sent = 0; ; sent++) {
    // Fault positions beyond the content length clamp to "after the last content chunk".
    if (await afterContentChunk(res, fault, Math.min(sent, total), sent === total, signal)) return;
    if (sent === total) break;
    if (sent > 0) await sleep(chunkDelay, signal);
    if (signal.aborted) return;
    writeEvent(res, plan.contents[sent] ?? {});
  }

  writeEvent(res, plan.finish);
  if (plan.usage) writeEvent(res, plan.usage);
  if (!fault.noDone) writeEvent(res, '[DONE]');
  res.end();
}

/**
 * Apply chunk-position faults once `sent` content chunks are out. Returns true when the
 * stream must stop here (cut or stalled). `last` lets positions past the end fire at the end.
 */
async function afterContentChunk(
  res: ServerResponse,
  fault: Fault,
  sent: number,
  last: boolean,
  signal: AbortSignal,
): Promise<boolean> {
  const hits = (n: number | undefined) => n !== undefined && (n === sent || (last && n > sent));
  if (hits(fault.malformedChunk)) res.write(MALFORMED_CHUNK);
  if (hits(fault.streamCut)) {
    // Mid-body close: no terminating chunk, no [DONE]. end() rather than destroy() so the
    // chunks already written are flushed first (destroy would discard them).
    res.socket?.end();
    return true;
  }
  if (hits(fault.streamError)) {
    // The provider gives up mid-answer with an error event (as OpenAI does when overloaded).
    writeEvent(res, errorBody('The server is overloaded (mock)', 'server_error', null));
    res.end();
    return true;
  }
  if (hits(fault.streamReset)) {
    // A crashed upstream mid-answer: RST after the chunks so far (flushed first), the client sees ECONNRESET.
    await new Promise<void>((resolve) => res.write('', () => resolve()));
    res.socket?.resetAndDestroy();
    return true;
  }
  if (hits(fault.streamStall)) {
    await waitForAbort(signal);
    return true;
  }
  return false;
}
