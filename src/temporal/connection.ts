import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import { join } from 'node:path';
import { ensureTemporalCli } from './cli';
import { startDevServer, type DevServer } from './devServer';
import { ensureNamespace } from './namespace';
import { SEARCH_ATTRIBUTE_TYPES } from './searchAttributes';

export interface TemporalHandle {
  /** Shared by the worker and the client, so eager workflow start can hand work to this worker. */
  connection: NativeConnection;
  namespace: string;
  address: string;
  uiUrl?: string;
  devServer?: DevServer;
  close(): Promise<void>;
}

export interface TemporalSetup {
  env: NodeJS.ProcessEnv;
  dataDir: string;
  log: (msg: string) => void;
  /** The embedded UI's codec endpoint is `/codec/<token>` on the gateway (see src/http/codec.ts). */
  uiCodecToken?: string;
}

/**
 * `TEMPORAL_ADDRESS` set: connect there (namespace, TLS, API key from the environment or the
 * Temporal config file) and start nothing. Otherwise run the embedded dev server.
 */
export async function connectTemporal(setup: TemporalSetup): Promise<TemporalHandle> {
  if (setup.env.TEMPORAL_ADDRESS) return connectExisting(setup);
  const port = Number(setup.env.GATEHOUSE_TEMPORAL_PORT ?? 7233);
  // The UI reads encrypted payloads through the gateway's codec endpoint (when its port is known),
  // at a path holding this start's random token instead of "no key on loopback".
  const gatewayPort = Number(setup.env.GATEHOUSE_PORT ?? 8080);
  const uiCodecEndpoint = gatewayPort > 0 && setup.uiCodecToken ? `http://127.0.0.1:${gatewayPort}/codec/${setup.uiCodecToken}` : undefined;
  const cliPath = await ensureTemporalCli({ log: setup.log, env: setup.env });
  const devServer = await startDevServer({
    cliPath,
    port,
    uiPort: port + 1000,
    uiCodecEndpoint,
    dbFile: join(setup.dataDir, 'temporal.db'),
    searchAttributes: SEARCH_ATTRIBUTE_TYPES,
    log: setup.log,
  });
  const connection = await NativeConnection.connect({ address: devServer.address });
  return {
    connection,
    namespace: 'default',
    address: devServer.address,
    uiUrl: devServer.uiUrl,
    devServer,
    async close() {
      await connection.close();
      await devServer.stop();
    },
  };
}

async function connectExisting(setup: TemporalSetup): Promise<TemporalHandle> {
  // The same env that chose this branch (not whatever process.env holds).
  const { connectionOptions, namespace = 'default' } = loadClientConnectConfig({ overrideEnvVars: setup.env as Record<string, string> });
  const connection = await NativeConnection.connect(connectionOptions);
  try {
    await ensureNamespace(connection, { namespace, searchAttributes: SEARCH_ATTRIBUTE_TYPES, log: setup.log });
  } catch (err) {
    await connection.close();
    throw err;
  }
  return {
    connection,
    namespace,
    address: String(connectionOptions.address),
    close: () => connection.close(),
  };
}
