import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { notFound } from '../errors';

/**
 * The console's page: plain HTML, CSS and ES modules from ./public, read once at start-up (no build
 * step; `gatehouse build` copies the folder beside the compiled code). Served from memory by name,
 * so no request path ever reaches the file system.
 */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Only our own files, no inline script or style, no framing, nothing sent elsewhere. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

interface Asset {
  type: string;
  body: Buffer;
}

export function loadAssets(dir = join(__dirname, 'public')): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) assets.set(name, { type, body: readFileSync(join(dir, name)) });
  }
  if (!assets.has('index.html')) throw new Error(`the console's index.html is missing from ${dir} (run \`gatehouse build\`)`);
  return assets;
}

/** GET /console (the page) and GET /console/assets/:name, inside the console's scope (prefix /console). */
export function registerPages(scope: FastifyInstance, assets: Map<string, Asset>): void {
  const send = (reply: FastifyReply, a: Asset) => reply.header('cache-control', 'no-cache').type(a.type).send(a.body);
  scope.get('/', { config: { role: 'public' } }, async (_req, reply) => send(reply, assets.get('index.html')!));
  scope.get<{ Params: { name: string } }>('/assets/:name', { config: { role: 'public' } }, async (req, reply) => {
    const asset = req.params.name === 'index.html' ? undefined : assets.get(req.params.name);
    if (!asset) throw notFound('not_found', 'No such console file');
    return send(reply, asset);
  });
}
