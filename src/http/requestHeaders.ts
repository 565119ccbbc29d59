import type { FastifyRequest } from 'fastify';
import { invalidRequest } from '../errors';

// The same rules as /v1/chat/completions (src/http/chatCompletions.ts keeps its own copy until merged onto these).
const IDEMPOTENCY_KEY = /^[\w.:-]{1,200}$/;

/** A request header's first value. */
export function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The caller's Idempotency-Key, checked (a 400 `invalid_idempotency_key` when malformed). */
export function idempotencyKey(req: FastifyRequest): string | undefined {
  const key = header(req, 'idempotency-key');
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw invalidRequest('invalid_idempotency_key', 'Idempotency-Key must be 1-200 characters of letters, digits, _ . : -');
  }
  return key;
}
