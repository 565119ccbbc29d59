import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span and its context (set only when tracing is on). */
    traced?: { span: Span; ctx: Context };
  }
}

/**
 * A server span per HTTP request, a child of the caller's W3C `traceparent` when it sent one. It
 * starts before the guard (refusals are traced too) and the handler runs inside it, so the
 * workflow start (the Temporal client interceptor) becomes its child. Named by the route pattern,
 * never the raw URL (ids, query strings).
 */
export function traceRequests(app: FastifyInstance, tracer: Tracer): void {
  app.decorateRequest('traced', undefined);
  app.addHook('onRequest', (req, _reply, done) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const route = req.routeOptions.url;
    const span = tracer.startSpan(route ? `${req.method} ${route}` : req.method, {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method, 'url.scheme': 'http', ...(route ? { 'http.route': route } : {}) },
    }, parent);
    req.traced = { span, ctx: trace.setSpan(parent, span) };
    // The request's log lines (the request line, refusals) name its trace: logs and traces meet.
    req.log = req.log.child({ trace_id: span.spanContext().traceId });
    done();
  });
  // After the body is read (its stream events run outside any context): the handler runs in the span.
  app.addHook('preHandler', (req, _reply, done) => {
    if (!req.traced) return done();
    context.with(req.traced.ctx, done);
  });
  app.addHook('onResponse', (req, reply, done) => {
    endSpan(req, reply);
    done();
  });
  app.addHook('onRequestAbort', (req, done) => {
    req.traced?.span.setAttribute('gatehouse.aborted', true);
    req.traced?.span.end();
    done();
  });
}

function endSpan(req: FastifyRequest, reply: FastifyReply): void {
  const span = req.traced?.span;
  if (!span) return;
  const status = reply.statusCode;
  span.setAttribute('http.response.status_code', status);
  const who = req.authenticated?.caller;
  if (who) span.setAttributes({ 'gatehouse.caller': who.name, 'gatehouse.team': who.config.team });
  const requestId = reply.getHeader('x-gatehouse-request-id');
  if (typeof requestId === 'string') span.setAttribute('gatehouse.request_id', requestId);
  // Server spans: only 5xx are the server's errors (OTel HTTP conventions); 4xx are the caller's.
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  if (status >= 400) span.setAttribute('error.type', String(status));
  span.end();
}
