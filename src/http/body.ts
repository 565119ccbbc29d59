import type { FastifyInstance } from 'fastify';
import { GatewayError, invalidRequest } from '../errors';

/**
 * Largest body, in bytes, both as sent and re-serialised. The body travels inside Temporal payloads
 * (workflow input, the provider activity's input, a shadow child's input), each capped at 2 MiB by
 * the server and a workflow task's commands at 4 MiB together: 1 MiB plus the envelope always fits.
 * Configurable lower (GATEHOUSE_BODY_LIMIT), never higher.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Deeper JSON is refused before anything recurses on it (OpenAI's own schemas nest at most ~10). */
export const MAX_JSON_DEPTH = 64;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Pure, linear: does this JSON text open more than `max` nested objects/arrays (brackets in strings skipped)? */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** The configured limit: a positive integer up to MAX_BODY_BYTES (a typo must not start a gateway that 5xxs). */
export function bodyLimitFrom(value: string | undefined): number {
  if (value === undefined || value === '') return MAX_BODY_BYTES;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1024 || n > MAX_BODY_BYTES) {
    throw new Error(`GATEHOUSE_BODY_LIMIT must be a whole number of bytes from 1024 to ${MAX_BODY_BYTES}, not "${value}"`);
  }
  return n;
}

export const bodyTooLarge = (limit: number) =>
  new GatewayError('InvalidRequest', 'request_too_large', `Request body is too large (limit ${limit} bytes)`, { status: 413 });

/**
 * The one body parser of every route: JSON only (anything else is 415), strict UTF-8, nesting at
 * most MAX_JSON_DEPTH (a linear scan before parsing), fastify's prototype-poisoning checks, and the
 * size limit on the bytes sent and on the JSON re-serialised (`1e20` grows fivefold in history).
 */
export function registerBodyParser(app: FastifyInstance, bodyLimit: number): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (req, raw, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
    if (charset && !/^utf-?8$/i.test(charset)) {
      return done(new GatewayError('InvalidRequest', 'unsupported_media_type', 'Send the body as UTF-8 JSON', { status: 415 }), undefined);
    }
    let text: string;
    try {
      text = UTF8.decode(raw as Buffer);
    } catch {
      return done(invalidRequest('invalid_json', 'Request body is not valid UTF-8'), undefined);
    }
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      return done(invalidRequest('invalid_json', `Request body nests deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    }
    const limit = req.routeOptions.bodyLimit ?? bodyLimit;
    parseJson(req, text, (err, value) => {
      if (err) return done(err, undefined);
      if (Buffer.byteLength(JSON.stringify(value) ?? '') > limit) return done(bodyTooLarge(limit), undefined);
      done(null, value);
    });
  });
}
