import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { CallerDirectory } from '../auth';
import type { Config } from '../config';
import { notFound } from '../errors';
import { registerChatCompletions } from './chatCompletions';
import { registerMessages } from './messages';
import { registerEmbeddings } from './embeddings';
import { handleError } from './errorHandler';
import { registerModels } from './models';
import { registerReviewAdmin } from './admin/reviews';
import { registerReleaseViews } from './admin/canary';
import { registerRouteAdmin } from './admin/routes';
import { registerQueueAdmin } from './admin/queue';
import { registerUsageReport } from './admin/usage';
import type { UsageStore } from '../store/usage';
import type { Release } from '../routes/release';
import { registerRequests } from './requests';
import { registerFeedback } from './feedback';
import { registerCodecEndpoint, type CodecAccess } from './codec';
import type { RequestStarter } from '../temporal/requestStarter';
import type { StreamRegistry } from '../streaming/registry';
import type { StreamRelay } from '../streaming/relay';
import { MAX_BODY_BYTES, registerBodyParser } from './body';
import { registerGuard, type GuardDeps } from './guard';
import { registerMetrics } from './metrics';
import type { GatewayMetrics } from '../metrics/gatewayMetrics';
import { DEFAULT_TEMPORAL_UI, SessionStore, registerConsole } from '../console';
import type { SessionOptions } from '../console/sessions';
import type { Tracer } from '@opentelemetry/api';
import { traceRequests } from '../tracing/http';
import type { FeedbackStore } from '../store/feedback';

export interface HttpDeps {
  starter: RequestStarter;
  callers: () => CallerDirectory;
  config: () => Config;
  logger: Logger;
  /** The streaming side channel from the provider activity (when the worker runs in this process). */
  streams?: StreamRegistry;
  /** Chunks from tries in other processes (Redis), fed into `streams` (absent: in-process only). */
  relay?: StreamRelay;
  /** Release control (route changes, kill switch, catalogue, canary reports): the admin API. */
  release?: Release;
  /** The payload codec, served to the Temporal UI at /codec/decode|encode. */
  codec?: CodecAccess;
  /** Front-door rate-limit peek (the admission's limiter). */
  limits?: GuardDeps['limits'];
  /** Where front-door refusals are counted (the ledger). */
  refusals?: GuardDeps['refusals'];
  /** The usage report's ledger reads (GET /admin/usage). */
  usage?: Pick<UsageStore, 'cells'>;
  /** Body size limit in bytes (at most MAX_BODY_BYTES, the default). */
  bodyLimit?: number;
  /** Prometheus series: GET /metrics (admin role) and the front door's refusals. */
  metrics?: GatewayMetrics;
  /** The console's request links (default the dev server's UI, http://localhost:8233). */
  temporalUiUrl?: string;
  /** The console's session lifetimes (src/console/sessions.ts defaults). */
  consoleSessions?: SessionOptions;
  /** A server span per request (src/tracing/http.ts); absent when tracing is off. */
  tracer?: Tracer;
  /** How long a reviewer's call (show a held answer, decide) waits for a worker (default REVIEW_WAIT_MS, 30 s). */
  reviewWaitMs?: number;
  /** End-user feedback counts for the canary report (GET /admin/canary/:route). */
  feedback?: Pick<FeedbackStore, 'counts'>;
}

/** The front door: OpenAI-compatible API for services, and Anthropic's Messages API. */
export function buildHttpServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // One line per request from onResponse instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit ?? MAX_BODY_BYTES,
    keepAliveTimeout: 65_000,
    // Request ids carry an Idempotency-Key of up to 200 characters (fastify's default allows 100).
    routerOptions: { maxParamLength: 512 },
    // Router errors (a path parameter over maxParamLength, a malformed URL) leave as our JSON too.
    frameworkErrors: (err, req, reply) => handleError(err, req, reply),
  });
  app.setErrorHandler((err, req, reply) => handleError(err, req, reply));
  registerBodyParser(app, deps.bodyLimit ?? MAX_BODY_BYTES);
  const sessions = new SessionStore(deps.consoleSessions);
  if (deps.tracer) traceRequests(app, deps.tracer); // before the guard: refusals are traced too
  registerGuard(app, { ...deps, sessions });
  app.setNotFoundHandler((req, reply) => handleError(notFound('not_found', `No route ${req.method} ${pathOnly(req.url)}`), req, reply));
  app.addHook('onResponse', async (req, reply) => {
    // The route pattern (e.g. /v1/requests/:id), else the path without its query string: a query
    // string may carry a key (`?api_key=…`) and the UI's codec path its token.
    req.log.info({ method: req.method, url: req.routeOptions.url ?? pathOnly(req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime), requestId: reply.getHeader('x-gatehouse-request-id') }, 'request');
  });
  app.get('/healthz', { config: { role: 'public' } }, async () => ({ status: 'ok' }));
  registerModels(app, deps);
  registerChatCompletions(app, deps);
  registerMessages(app, deps);
  registerEmbeddings(app, deps);
  registerRequests(app, deps);
  registerFeedback(app, deps);
  if (deps.codec) registerCodecEndpoint(app, deps.codec);
  registerReviewAdmin(app, deps);
  registerQueueAdmin(app, deps);
  registerUsageReport(app, deps);
  if (deps.metrics) registerMetrics(app, deps.metrics);
  if (deps.release) {
    registerRouteAdmin(app, deps, deps.release);
    registerReleaseViews(app, deps, deps.release);
  }
  registerConsole(app, deps, { sessions, temporalUiUrl: deps.temporalUiUrl ?? DEFAULT_TEMPORAL_UI });
  return app;
}

/** The URL without its query string (`/v1/x?api_key=…` → `/v1/x?…`). */
export function pathOnly(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?…`;
}
