import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { Runtime } from '@temporalio/worker';
import pino from 'pino';
import { installTemporalRuntime, temporalMetricsExporter } from '../../src/temporal/runtime';

/** A port free a moment ago (the SDK's listener takes a fixed address, not 0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as { port: number }).port;
  await new Promise((ok) => server.close(ok));
  return port;
}

describe('the Temporal SDK worker metrics (GATEHOUSE_TEMPORAL_METRICS_ADDRESS)', () => {
  // The native runtime (and its listener) would keep this test process alive.
  after(() => Runtime.instance().shutdown());
  it('are off unless asked for; a bare port binds loopback; a malformed address is refused', () => {
    assert.equal(temporalMetricsExporter(undefined), undefined);
    assert.deepEqual(temporalMetricsExporter('9464'), { prometheus: { bindAddress: '127.0.0.1:9464', countersTotalSuffix: true, useSecondsForDurations: true } });
    assert.equal((temporalMetricsExporter('0.0.0.0:9464') as { prometheus: { bindAddress: string } }).prometheus.bindAddress, '0.0.0.0:9464');
    assert.throws(() => temporalMetricsExporter('http://x:1'), /port or host:port/);
    assert.throws(() => temporalMetricsExporter('127.0.0.1:70000'), /port or host:port/);
  });

  it('are served in Prometheus text format on their own loopback listener once the runtime is installed', async () => {
    const port = await freePort();
    installTemporalRuntime(pino({ level: 'silent' }), 'ERROR', String(port));
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    await res.text();
  });
});
