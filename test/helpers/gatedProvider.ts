import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A word of a scripted answer; `CUT` ends the connection there (a broken stream). */
export const CUT = '\u0000cut';

export interface GatedProvider {
  url: string;
  /** Requests received so far. */
  requests(): number;
  /** Content chunks written so far, over all requests. */
  sent(): number;
  /** Requests whose answer was sent whole. */
  finished(): number;
  /** Requests whose connection the gateway closed before the answer was whole (an aborted try). */
  abandoned(): number;
  /** performance.now() when each request's first word was written (for latency measurements). */
  firstWordAt: number[];
  /** Let `n` more words out (over all requests, in order). Words after a request's first wait for one. */
  release(n?: number): void;
  close(): Promise<void>;
}

/**
 * An OpenAI-compatible streaming provider whose pace the test sets: request i answers with
 * `script(i)` word by word; the first word goes at once, every later one only when the test calls
 * `release()`. Ordering, not timing: a test can see the first word reach the caller while the rest
 * is provably still unsent.
 */
export async function startGatedProvider(script: (request: number) => string[]): Promise<GatedProvider> {
  let requests = 0;
  let sent = 0;
  let finished = 0;
  let abandoned = 0;
  let permits = 0;
  const firstWordAt: number[] = [];
  /** Words waiting for a permit; a request whose connection closed gives up its place. */
  const waiting: Array<{ go: () => void; alive: () => boolean }> = [];
  const sockets = new Set<Socket>();
  const permit = (alive: () => boolean) => new Promise<void>((go) => (permits > 0 ? (permits--, go()) : waiting.push({ go, alive })));

  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => void answer(JSON.parse(raw) as { model: string }, script(requests++), res));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function answer(body: { model: string }, words: string[], res: ServerResponse) {
    let open = true;
    res.on('close', () => {
      if (open) abandoned++;
      open = false;
    });
    const base = { id: `chatcmpl-gated-${requests}`, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model: body.model };
    const write = (chunk: object) => res.write(`data: ${JSON.stringify({ ...base, ...chunk })}\n\n`);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    write({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    for (const [i, word] of words.entries()) {
      if (i > 0) await permit(() => open);
      if (!open) return;
      if (word === CUT) {
        open = false;
        return void res.socket?.destroy();
      }
      write({ choices: [{ index: 0, delta: { content: word }, finish_reason: null }] });
      if (i === 0) firstWordAt.push(performance.now());
      sent++;
    }
    write({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    write({ choices: [], usage: { prompt_tokens: 5, completion_tokens: words.length, total_tokens: 5 + words.length } });
    res.end('data: [DONE]\n\n');
    open = false;
    finished++;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests: () => requests,
    sent: () => sent,
    finished: () => finished,
    abandoned: () => abandoned,
    firstWordAt,
    release(n = 1) {
      for (let i = 0; i < n; i++) {
        while (waiting[0] && !waiting[0].alive()) waiting.shift();
        const next = waiting.shift();
        if (next) next.go();
        else permits++;
      }
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
