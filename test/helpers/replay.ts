import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the provider's HTTP server saw it. */
export interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** One scripted answer: a JSON body, or an event stream (each `events` entry is one `data:` event, or a raw `frame`). */
export type Reply =
  | { status?: number; headers?: Record<string, string>; json: unknown }
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
 */
export async function startReplayServer(): Promise<ReplayServer> {
  const seen: Seen[] = [];
  const queue: Reply[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: parse(text) });
      const next = queue.shift();
      if (!next) return void res.writeHead(599, { 'content-type': 'text/plain' }).end('nothing scripted');
      send(res, next);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    reply: (...replies) => void queue.push(...replies),
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

function send(res: http.ServerResponse, r: Reply): void {
  const status = r.status ?? 200;
  if ('json' in r) return void res.writeHead(status, { 'content-type': 'application/json', ...r.headers }).end(JSON.stringify(r.json));
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
