/**
 * Built-in mock LLM provider: a real HTTP server speaking the OpenAI Chat Completions API,
 * with fault injection for integration tests. Plain node:http (not fastify) because faults
 * need raw socket control: hang, reset before headers, cut a stream mid-body.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { handleChatCompletion } from './chat';
import { handleEmbeddings } from './embeddings';
import { type FaultSpec, FaultSpecError } from './faults';
import { HttpError, readJsonBody, sendError, sendJson } from './http';
import { MockState } from './state';

export interface MockProviderOptions {
  /** 0 (default) = random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Base latency for every chat completion request, default 0. */
  latencyMs?: number;
  /** Default delay between streamed content chunks, default 0. */
  chunkDelayMs?: number;
  logger?: { info: (...a: any[]) => void };
}

export interface MockProvider {
  /** OpenAI baseURL, e.g. http://127.0.0.1:PORT/v1 */
  url: string;
  port: number;
  /** Chat completion requests received, per model name as sent (suffix included), or total. */
  calls(model?: string): number;
  /** The next N requests for that exact model name get these faults in order, then behave normally. */
  queueFaults(model: string, faults: FaultSpec[]): void;
  /** Clear counters and queued faults. */
  reset(): void;
  /** Close the server and destroy open sockets (hanging requests included) so tests end promptly. */
  close(): Promise<void>;
}

export const MOCK_MODELS = ['mock-small', 'mock-large'] as const;
const MODELS_CREATED = 1_700_000_000; // fixed so the listing is deterministic

export async function startMockProvider(opts: MockProviderOptions = {}): Promise<MockProvider> {
  const host = opts.host ?? '127.0.0.1';
  const state = new MockState();
  const chatCtx = { state, latencyMs: opts.latencyMs ?? 0, chunkDelayMs: opts.chunkDelayMs ?? 0 };

  const server = createServer((req, res) => {
    route(req, res, state, chatCtx).catch((err: unknown) => handleFailure(res, err));
  });
  const sockets = trackSockets(server);
  await listen(server, opts.port ?? 0, host);

  const port = (server.address() as AddressInfo).port;
  const url = `http://${urlHost(host)}:${port}/v1`;
  opts.logger?.info({ url }, 'mock LLM provider listening');

  return {
    url,
    port,
    calls: (model) => state.calls(model),
    queueFaults: (model, faults) => state.queueFaults(model, faults),
    reset: () => state.reset(),
    close: () => closeServer(server, sockets),
  };
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  state: MockState,
  chatCtx: Parameters<typeof handleChatCompletion>[2],
): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://mock').pathname.replace(/\/+$/, '');
  const key = `${req.method ?? 'GET'} ${path}`;
  switch (key) {
    case 'POST /v1/chat/completions':
      return handleChatCompletion(req, res, chatCtx);
    case 'POST /v1/embeddings':
      return handleEmbeddings(req, res, chatCtx);
    case 'GET /v1/models':
      return sendJson(res, 200, modelList());
    case 'GET /_mock/stats':
      return sendJson(res, 200, state.stats());
    case 'POST /_mock/faults':
      return queueFromBody(req, res, state);
    case 'POST /_mock/reset':
      state.reset();
      return sendJson(res, 200, { ok: true });
    default:
      req.resume(); // drain any body so keep-alive connections stay usable
      throw new HttpError(404, `Unknown request URL: ${req.method} ${path}`, 'unknown_url');
  }
}

function modelList() {
  return {
    object: 'list',
    data: MOCK_MODELS.map((id) => ({ id, object: 'model', created: MODELS_CREATED, owned_by: 'gatehouse-mock' })),
  };
}

/** POST /_mock/faults lets another process (e.g. a test driving a separately started gateway) script faults. */
async function queueFromBody(req: IncomingMessage, res: ServerResponse, state: MockState): Promise<void> {
  const body = (await readJsonBody(req)) as { model?: unknown; faults?: unknown } | null;
  const model = body?.model;
  const faults = body?.faults;
  if (typeof model !== 'string' || !Array.isArray(faults) || !faults.every((f) => typeof f === 'string')) {
    throw new HttpError(400, 'expected { model: string, faults: string[] }', 'invalid_request');
  }
  try {
    state.queueFaults(model, faults as string[]);
  } catch (err) {
    if (err instanceof FaultSpecError) throw new HttpError(400, err.message, 'invalid_mock_fault');
    throw err;
  }
  sendJson(res, 200, { ok: true, queued: faults.length });
}

function handleFailure(res: ServerResponse, err: unknown): void {
  if (res.headersSent || res.destroyed) {
    res.destroy(); // too late for a clean error; cut the connection so the client notices
    return;
  }
  const httpErr = err instanceof HttpError ? err : new HttpError(500, `Mock provider error: ${String(err)}`);
  sendError(res, httpErr);
}

/** Keep every socket so close() can destroy hanging ones instead of waiting for them. */
function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return sockets;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    server.close((err) => (err ? reject(err) : resolve()));
    for (const socket of sockets) socket.destroy();
    server.closeAllConnections();
  });
}

/** A wildcard bind address is not dialable; advertise loopback instead. IPv6 needs brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
