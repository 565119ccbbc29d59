import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../metrics/gatewayMetrics';

/** GET /metrics on the front door: Prometheus text format, for admin keys only (the guard checks). */
export function registerMetrics(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.get('/metrics', { config: { role: 'admin' } }, async (_req, reply) => {
    const page = await metrics.scrape();
    return reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(page);
  });
}
