#!/usr/bin/env node
import { resolve } from 'node:path';
import { credentialPublicKey } from '../auth';
import { ConfigError } from '../config';
import { startGateway } from '../gateway';
import { PRIVATE_UMASK } from '../store/privateFiles';
import { ensureTemporalCli } from '../temporal/cli';
import { runKeysCommand } from './keys';
import { bannerText } from './banner';
import { runReviewCommand } from './review';
import { runCanaryCommand } from './canary';
import { runModelsCommand } from './models';
import { runRoutesCommand } from './routes';
import { installShutdown, shutdownOptionsFromEnv } from './shutdown';

const USAGE = `gatehouse <command>

  start              run the gateway: dev server, worker, HTTP front door, mock provider
                     (config from $GATEHOUSE_CONFIG or ./gatehouse.config.yaml)
  keys new           print a new API key and the keyHash to put in the config
  keys rotate CALLER a new key for CALLER, the old one valid a while longer (gatehouse keys help)
  keys credential    print the workers' credential public key (GATEHOUSE_CREDENTIAL_PUBLIC_KEY
                     for front doors and TS clients on other hosts)
  temporal install   find or build the Temporal CLI and print its path
  review …           list, show, approve, edit or reject held requests (\`gatehouse review help\`)
  routes …           show, apply, history, rollback, disable, enable, approve (\`gatehouse routes help\`)
  models list|show   the model catalogue
  canary report R    primary vs candidate on route R (\`gatehouse canary help\`)
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, sub] = argv;
  if (cmd === 'start') return start();
  if (cmd === 'keys' && sub === 'credential') return printCredentialKey();
  if (cmd === 'keys') return runKeysCommand(argv.slice(1));
  if (cmd === 'review') return runReviewCommand(argv.slice(1));
  if (cmd === 'routes') return runRoutesCommand(argv.slice(1));
  if (cmd === 'models') return runModelsCommand(argv.slice(1));
  if (cmd === 'canary') return runCanaryCommand(argv.slice(1));
  if (cmd === 'temporal' && sub === 'install') {
    console.log(await ensureTemporalCli({ log: (m) => console.error(m) }));
    return 0;
  }
  console.error(USAGE);
  return cmd === undefined || cmd === 'help' || cmd === '--help' ? 0 : 2;
}

async function start(): Promise<number> {
  const configFile = process.env.GATEHOUSE_CONFIG ?? 'gatehouse.config.yaml';
  const role = process.env.GATEHOUSE_ROLE ?? 'all'; // all | worker | http
  process.umask(PRIVATE_UMASK); // every file the gateway and its dev server create is the user's only
  // Stops within GATEHOUSE_SHUTDOWN_GRACE_MS whatever is running, even a signal during start (see shutdown.ts).
  let log = (m: string) => console.error(m);
  const shutdown = installShutdown(shutdownOptionsFromEnv(process.env, (m) => log(m)));
  const gw = await startGateway({ configFile, worker: role !== 'http', http: role !== 'worker' });
  log = (m) => gw.logger.warn(m);
  console.log(bannerText({ url: gw.url, uiUrl: gw.uiUrl, temporal: gw.temporalAddress, demoKey: gw.demoKey, demoKeyFile: gw.demoKeyFile }, process.stdout.isTTY === true));
  process.on('SIGHUP', () => gw.reloadConfig()); // re-read the config file now
  await shutdown.signalled;
  await gw.stop();
  return 0;
}

function printCredentialKey(): number {
  try {
    console.log(credentialPublicKey(process.env, resolve(process.env.GATEHOUSE_DATA_DIR ?? 'data')));
    return 0;
  } catch (err) {
    console.error(`gatehouse keys credential: ${(err as Error).message}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof ConfigError ? err.message : `gatehouse: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
