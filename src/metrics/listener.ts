import { createServer, type Server } from 'node:http';
import type { GatewayMetrics } from './gatewayMetrics';

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/**
 * The keyless metrics listener (GATEHOUSE_METRICS_PORT): `GET /metrics` only, for a Prometheus on
 * the same host. Bound to 127.0.0.1 unless GATEHOUSE_METRICS_HOST says otherwise: the page carries
 * caller and team names, so it is not offered to the network by default.
 */
export async function listenForMetrics(metrics: GatewayMetrics, port: number, host = '127.0.0.1'): Promise<MetricsListener> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'not_found', message: 'only GET /metrics here' } }));
      return;
    }
    metrics.scrape().then(
      (page) => res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }).end(page),
      () => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'internal_error', message: 'metrics could not be collected' } })),
    );
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`, close: () => closeServer(server) };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((ok) => server.close(() => ok()));
}
