import { connect } from 'node:net';
import type { Rng } from '../fixtures/sensitivity/prng';

/**
 * Seeded generators of hostile HTTP requests for the front-door fuzz test, and a raw HTTP/1.1 client
 * (node's and undici's clients refuse to send most of these).
 */

export interface RawResponse {
  /** Undefined when the server closed without answering (acceptable only for broken framing). */
  status?: number;
  text: string;
  error?: string;
}

/**
 * Writes the bytes and reads until the server closes (every request says `connection: close`).
 * `halfClose` ends the writing side too: for broken framing, which the server would otherwise await.
 */
export function rawRequest(port: number, bytes: Buffer, halfClose = false, timeoutMs = 30_000): Promise<RawResponse> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const socket = connect({ host: '127.0.0.1', port }, () => (halfClose ? socket.end(bytes) : socket.write(bytes)));
    socket.setTimeout(timeoutMs, () => {
      error = 'timeout';
      socket.destroy();
    });
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : undefined, text, error });
    });
  });
}

export type Header = [string, string | Buffer];

export function httpBytes(method: string, path: string | Buffer, headers: Header[], body?: Buffer, contentLength = true): Buffer {
  const lines: Buffer[] = [Buffer.from(`${method} `), Buffer.from(path), Buffer.from(' HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n')];
  for (const [k, v] of headers) lines.push(Buffer.from(`${k}: `), Buffer.from(v), Buffer.from('\r\n'));
  if (body && contentLength) lines.push(Buffer.from(`content-length: ${body.length}\r\n`));
  lines.push(Buffer.from('\r\n'));
  if (body) lines.push(body);
  return Buffer.concat(lines);
}

const ODD = [
  '\u0000', '\u202e', '\u200b', '\ufeff', '\ud800', '\udfff', '\ud83d\ude00', 'é', 'e\u0301', '中文', '\uffff', '\ufffe', '\u2028', '\u2029',
  '\u001b[31m', '"', '\\', '{', ']', '%00', '../', '<script>', "' OR 1=1 --", '${jndi:x}', '\r\n', 'ﷺ', '𝕏', 'İ', 'ß',
];
const ASCII = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.:/';

export function oddString(rng: Rng, max = 24): string {
  let s = '';
  const n = rng.int(0, max);
  for (let i = 0; i < n; i++) s += rng.chance(0.4) ? rng.pick(ODD) : rng.chars(ASCII, 1);
  return s;
}

const NUMBERS = [0, -0, 1, -1, 0.5, 1.5, 2, 2.0000001, 1e308, -1e308, 5e-324, 2 ** 53 + 2, -(2 ** 31), 2 ** 32, 1e21, 4096, 128_000];
const KEYS = ['__proto__', 'constructor', 'prototype', 'model', 'messages', 'role', 'content', 'type', 'toString', 'hasOwnProperty', ''];

export function randomJson(rng: Rng, depth = 3): unknown {
  const kind = rng.int(0, depth > 0 ? 6 : 4);
  switch (kind) {
    case 0: return null;
    case 1: return rng.chance(0.5);
    case 2: return rng.pick(NUMBERS);
    case 3: return oddString(rng);
    case 4: return rng.chars(ASCII, rng.int(0, 12));
    case 5: return Array.from({ length: rng.int(0, 4) }, () => randomJson(rng, depth - 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(0, 4); i > 0; i--) Object.defineProperty(o, rng.chance(0.5) ? rng.pick(KEYS) : oddString(rng, 8), { value: randomJson(rng, depth - 1), enumerable: true, configurable: true, writable: true });
      return o;
    }
  }
}

const TOP_FIELDS = ['model', 'messages', 'stream', 'max_tokens', 'max_completion_tokens', 'temperature', 'metadata', 'response_format', 'stream_options', 'tools', 'n', 'user', 'top_p'];
const MESSAGE_FIELDS = ['role', 'content', 'name', 'tool_calls', 'tool_call_id'];

/** A chat body with one (or a few) fields set to something of a random type. */
export function mutatedChatBody(rng: Rng): unknown {
  const body: Record<string, unknown> = { model: 'auto', messages: [{ role: 'user', content: `fuzz ${oddString(rng)}` }] };
  const message = (body.messages as Record<string, unknown>[])[0]!;
  for (let i = rng.int(1, 3); i > 0; i--) {
    if (rng.chance(0.6)) body[rng.pick(TOP_FIELDS)] = randomJson(rng, 2);
    else message[rng.pick(MESSAGE_FIELDS)] = randomJson(rng, 2);
  }
  if (rng.chance(0.1)) body.response_format = { type: 'json_schema', json_schema: { name: oddString(rng, 8), schema: randomJson(rng, 3) } };
  if (rng.chance(0.1)) body.metadata = { task: oddString(rng, 8), risk: oddString(rng, 6) };
  return body;
}

/** `{…[[[…]]]…}` nested `depth` levels, well-formed or cut short. */
export function deepBody(rng: Rng): string {
  const depth = rng.pick([63, 64, 65, 100, 1000, 4100, 5000, 50_000]);
  const open = rng.chance(0.5) ? '[' : '{"a":';
  const close = open === '[' ? ']' : '}';
  const inner = `{"model":"auto","messages":${open.repeat(depth)}1${close.repeat(rng.chance(0.8) ? depth : depth >> 1)}}`;
  return inner;
}

/** Invalid UTF-8 (lone continuation bytes, overlong forms, surrogates encoded, truncated sequences) inside a JSON string. */
export function badUtf8Body(rng: Rng): Buffer {
  const bad = rng.pick([[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xff, 0xfe], [0xc3]]);
  return Buffer.concat([Buffer.from('{"model":"auto","messages":[{"role":"user","content":"'), Buffer.from(bad), Buffer.from('"}]}')]);
}
