import { durationFromEnv } from './config/duration';
import { sessionOptionsFrom } from './console/sessions';
import type { GatewayParts as Parts, StopStack } from './gatewayParts';
import { buildHttpServer } from './http';
import { bodyLimitFrom } from './http/body';
import type { CodecAccess } from './http/codec';
import { listenForMetrics } from './metrics/listener';
import { UsageStore } from './store/usage';
import type { RequestStarter } from './temporal/requestStarter';

/** The front door (src/http) on GATEHOUSE_HOST:GATEHOUSE_PORT; its URL. */
export async function listen(p: Parts, starter: RequestStarter, stack: StopStack, uiUrl?: string): Promise<string> {
  const host = p.env.GATEHOUSE_HOST ?? '127.0.0.1';
  const loopback = LOOPBACK.includes(host);
  const codec: CodecAccess = {
    codec: p.dataConverter.payloadCodecs![0]!,
    uiOrigins: [...(uiUrl ? withLoopbackAliases(uiUrl) : []), ...list(p.env.GATEHOUSE_UI_ORIGIN)],
    hosts: [],
    // Only the embedded UI on loopback gets a keyless (token) path; anyone else needs a reviewer key.
    uiToken: loopback ? p.uiCodecToken : undefined,
  };
  const usage = new UsageStore(p.db);
  const app = buildHttpServer({
    usage,
    feedback: p.feedback,
    ...{ starter, callers: () => p.callers, config: () => p.release.live.config(), logger: p.logger, streams: p.streams, relay: p.relay, release: p.release, codec },
    // The front door refuses cheaply (no workflow) and counts it: the admission's own limiter, the ledger.
    ...{ limits: p.limits, refusals: p.ledger, bodyLimit: bodyLimitFrom(p.env.GATEHOUSE_BODY_LIMIT), metrics: p.metrics, tracer: p.tracing?.tracer },
    // The console's request links: the configured Temporal UI, else the one this gateway started.
    temporalUiUrl: p.env.GATEHOUSE_TEMPORAL_UI_URL || uiUrl,
    consoleSessions: sessionOptionsFrom(p.env),
    reviewWaitMs: durationFromEnv(p.env, 'GATEHOUSE_REVIEW_WAIT', 1000, 'at least a second ("30s", "2m")'),
  });
  await app.listen({ port: Number(p.env.GATEHOUSE_PORT ?? 8080), host });
  stack.push(() => app.close());
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  // The Host names this gateway answers the codec under; on all interfaces only the configured ones.
  const own = loopback ? LOOPBACK.map((h) => `${h.includes(':') ? `[${h}]` : h}:${port}`) : ['0.0.0.0', '::'].includes(host) ? [] : [`${host}:${port}`];
  codec.hosts.push(...own, ...list(p.env.GATEHOUSE_CODEC_HOSTS).map((h) => h.toLowerCase()));
  return `http://${host}:${port}`;
}

/** The keyless metrics listener, only when GATEHOUSE_METRICS_PORT is set; loopback unless GATEHOUSE_METRICS_HOST. */
export async function listenMetrics(p: Parts, stack: StopStack): Promise<string | undefined> {
  if (!p.env.GATEHOUSE_METRICS_PORT) return undefined;
  const listener = await listenForMetrics(p.metrics, Number(p.env.GATEHOUSE_METRICS_PORT), p.env.GATEHOUSE_METRICS_HOST ?? '127.0.0.1');
  stack.push(() => listener.close());
  return listener.url;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((v) => v.trim()).filter(Boolean);
}

/** The embedded UI may be opened as 127.0.0.1 or localhost: both are its origin. */
function withLoopbackAliases(origin: string): string[] {
  const url = new URL(origin);
  if (!['127.0.0.1', 'localhost'].includes(url.hostname)) return [url.origin];
  return ['127.0.0.1', 'localhost'].map((h) => `${url.protocol}//${h}:${url.port}`);
}
