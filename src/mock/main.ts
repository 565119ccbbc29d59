/**
 * Standalone entry so the mock can run as its own process (quick start, or a gateway
 * under test in another process):  tsx src/mock/main.ts --port 8787 --latency 0
 */
import { parseArgs } from 'node:util';
import { startMockProvider } from './server';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      latency: { type: 'string', default: '0' },
      'chunk-delay': { type: 'string', default: '0' },
    },
  });
  const mock = await startMockProvider({
    port: Number(values.port),
    host: values.host,
    latencyMs: Number(values.latency),
    chunkDelayMs: Number(values['chunk-delay']),
    logger: { info: (...a: unknown[]) => console.log(...a) },
  });
  const stop = () => void mock.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
