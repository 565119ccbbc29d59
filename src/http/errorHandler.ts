import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError, fromFailure, invalidRequest } from '../errors';
import { cancelledRequest, temporalUnavailable } from '../temporal/unavailable';
import { anthropicErrorBody } from '../formats/anthropic/errors';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The shape of this route's error bodies (default OpenAI's): the guard's and the body parser's errors too. */
    errorFormat?: 'openai' | 'anthropic';
  }
}

/** Every error leaves as JSON with a stable `code`: OpenAI's shape, or Anthropic's on the routes that speak it. */
export function toGatewayError(err: unknown): GatewayError {
  const known = fromFailure(err) ?? cancelledRequest(err);
  if (known) return known;
  const fe = err as Partial<FastifyError>;
  if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe instanceof SyntaxError) {
    return invalidRequest('invalid_json', `Request body is not valid JSON: ${fe.message}`);
  }
  if (fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return invalidRequest('invalid_json', 'Request body is empty');
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new GatewayError('InvalidRequest', 'request_too_large', 'Request body is too large', { status: 413 });
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return new GatewayError('InvalidRequest', 'unsupported_media_type', 'Send the body as application/json', { status: 415 });
  }
  // The Temporal client's own failures (connection closed, server unavailable): a 503, never a bare 500.
  const unavailable = temporalUnavailable(err);
  if (unavailable) return unavailable;
  if (fe.code === 'FST_ERR_MAX_PARAM_LENGTH') return new GatewayError('InvalidRequest', 'uri_too_long', 'A path parameter is too long', { status: 414 });
  // The console's CSRF check (@fastify/csrf-protection): a state-changing call without a valid token.
  if (fe.code === 'FST_CSRF_INVALID_TOKEN' || fe.code === 'FST_CSRF_MISSING_SECRET') {
    return new GatewayError('PolicyDenied', 'csrf_token_invalid', 'Missing or invalid CSRF token: reload the console and try again');
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Framework messages may quote the caller's input: kept short.
    return new GatewayError('InvalidRequest', 'invalid_request', (fe.message ?? 'Bad request').slice(0, 200), { status: fe.statusCode });
  }
  return new GatewayError('Internal', 'internal_error', 'The gateway failed to process the request');
}

/**
 * The error as the route's format wants it. A request that matched no route (a 404, a router error)
 * has no route config: under /v1/messages it is still an Anthropic client asking (e.g. count_tokens).
 */
export function handleError(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const ge = toGatewayError(err);
  logFailure(ge, err, req, reply);
  // A 429 carries Retry-After and the x-ratelimit-* headers of the limit that refused it.
  const headers = ge.meta?.headers;
  if (headers && typeof headers === 'object') void reply.headers(headers as Record<string, string>);
  const anthropic = (req.routeOptions?.config?.errorFormat ?? (req.url.startsWith('/v1/messages') ? 'anthropic' : 'openai')) === 'anthropic';
  void reply.status(ge.status).send(anthropic ? anthropicErrorBody(ge) : ge.toBody());
}

/**
 * Provider outcomes are logged by status alone; only the gateway's own faults get a stack. A 503
 * (Temporal unreachable, the gateway stopping) is a warning; for a caller who already hung up it is
 * not even that (nobody waits for the answer, and the request's workflow runs on).
 */
function logFailure(ge: GatewayError, err: unknown, req: FastifyRequest, reply: FastifyReply): void {
  const gone = reply.raw.destroyed || req.raw.socket?.destroyed === true;
  if (ge.kind === 'Internal') req.log.error({ err, callerGone: gone || undefined }, 'request failed');
  else if (ge.kind === 'Unavailable') req.log[gone ? 'info' : 'warn']({ code: ge.code, cause: (err as Error).message, callerGone: gone || undefined }, gone ? 'caller gone before the answer' : 'request failed: gateway unavailable');
}
