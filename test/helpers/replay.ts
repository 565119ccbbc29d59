import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** One request as the provider's HTTP server saw it. */
export interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** The body exactly as received (e.g. to verify a request signature). */
  raw: string;
}

/**
 * One scripted answer: a JSON body, an event stream (each `events` entry is one `data:` event, or a
 * raw `frame`), raw text, or binary `frames` written one after another (e.g. AWS event-stream framing);
 * `hold`: the response then stays open until the client gives up (deadline tests).
 */
export type Reply =
  | { status?: number; headers?: Record<string, string>; json: unknown }
  | { status?: number; headers?: Record<string, string>; frames: Uint8Array[]; hold?: boolean }
  | { status?: number; headers?: Record<string, string>; events: Array<unknown | { frame: string }> }
  | { status?: number; headers?: Record<string, string>; raw: string };

export interface ReplayServer {
  /** Base URL (`http://127.0.0.1:<port>`): point the SDK's base URL / endpoint here. */
  url: string;
  /** Every request so far, in order. */
  seen: Seen[];
  /** Queues the next replies, answered in order (one per request). */
  reply(...replies: Reply[]): void;
  close(): Promise<void>;
}

/**
 * A provider's HTTP API replayed on 127.0.0.1, for adapter tests through the real SDK: each request
 * is recorded and answered with the next scripted reply, in the provider's documented shape. A
 * request with nothing scripted gets a 599, so a test that sends more than it scripted fails loudly.
 * `http2`: cleartext HTTP/2 (h2c, prior knowledge) instead of HTTP/1.1, for SDKs that only speak
 * HTTP/2 (AWS Bedrock's).
 */
export async function startReplayServer(options: { http2?: boolean } = {}): Promise<ReplayServer> {
  const seen: Seen[] = [];
  const queue: Reply[] = [];
  const handle = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: parse(text), raw: text });
      const next = queue.shift();
      if (!next) return void (res as unknown as Response).writeHead(599, { 'content-type': 'text/plain' }).end('nothing scripted');
      send(res as unknown as Response, next);
    });
  };
  const server = options.http2 ? http2.createServer(handle) : http.createServer(handle);
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    reply: (...replies) => void queue.push(...replies),
    close: () => new Promise<void>((resolve) => (sockets.forEach((s) => s.destroy()), server.close(() => resolve()))),
  };
}

/** What `send` needs of an HTTP/1.1 or HTTP/2 response. */
interface Response {
  writeHead(status: number, headers: Record<string, string>): Response;
  write(chunk: string | Uint8Array): boolean;
  end(chunk?: string): void;
}

function send(res: Response, r: Reply): void {
  const status = r.status ?? 200;
  if ('json' in r) return void res.writeHead(status, { 'content-type': 'application/json', ...r.headers }).end(JSON.stringify(r.json));
  if ('frames' in r) {
    res.writeHead(status, { 'content-type': 'application/octet-stream', ...r.headers });
    for (const f of r.frames) res.write(f);
    return r.hold ? undefined : void res.end();
  }
  if ('raw' in r) return void res.writeHead(status, { 'content-type': 'application/json', ...r.headers }).end(r.raw);
  res.writeHead(status, { 'content-type': 'text/event-stream', ...r.headers });
  for (const e of r.events) res.write(isFrame(e) ? e.frame : `data: ${typeof e === 'string' ? e : JSON.stringify(e)}\n\n`);
  res.end();
}

const isFrame = (e: unknown): e is { frame: string } => typeof e === 'object' && e !== null && 'frame' in e;

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
