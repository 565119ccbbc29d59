#!/usr/bin/env node
import { hashApiKey, newApiKey } from '../auth';
import { ConfigError } from '../config';
import { startGateway } from '../gateway';
import { ensureTemporalCli } from '../temporal/cli';
import { runReviewCommand } from './review';
import { runCanaryCommand } from './canary';
import { runModelsCommand } from './models';
import { runRoutesCommand } from './routes';
import { installShutdown, shutdownOptionsFromEnv } from './shutdown';

const USAGE = `gatehouse <command>

  start              run the gateway: dev server, worker, HTTP front door, mock provider
                     (config from $GATEHOUSE_CONFIG or ./gatehouse.config.yaml)
  keys new           print a new API key and the keyHash to put in the config
  temporal install   find or build the Temporal CLI and print its path
  review …           list, show, approve, edit or reject held requests (\`gatehouse review help\`)
  routes …           show, apply, history, rollback, disable, enable, approve (\`gatehouse routes help\`)
  models list|show   the model catalogue
  canary report R    primary vs candidate on route R (\`gatehouse canary help\`)
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, sub] = argv;
  if (cmd === 'start') return start();
  if (cmd === 'keys' && sub === 'new') return printNewKey();
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
  // Stops within GATEHOUSE_SHUTDOWN_GRACE_MS whatever is running, even a signal during start (see shutdown.ts).
  let log = (m: string) => console.error(m);
  const shutdown = installShutdown(shutdownOptionsFromEnv(process.env, (m) => log(m)));
  const gw = await startGateway({ configFile, worker: role !== 'http', http: role !== 'worker' });
  log = (m) => gw.logger.warn(m);
  printBanner(gw.url, gw.uiUrl, gw.temporalAddress, gw.demoKey);
  await shutdown.signalled;
  await gw.stop();
  return 0;
}

function printBanner(url: string | undefined, uiUrl: string | undefined, temporal: string, demoKey: string | undefined): void {
  const lines = ['', 'Gatehouse is running.', `  Temporal:    ${temporal}`];
  if (uiUrl) lines.push(`  Temporal UI: ${uiUrl}`);
  if (url) lines.push(`  Gateway:     ${url}`);
  if (demoKey) lines.push(`  Demo key:    ${demoKey}`);
  if (url && demoKey) {
    lines.push('', 'Try it:', `  curl -s ${url}/v1/chat/completions -H "Authorization: Bearer ${demoKey}" \\`);
    lines.push(`    -H 'Content-Type: application/json' -d '{"model":"auto","messages":[{"role":"user","content":"Hello"}]}'`);
  }
  lines.push('', 'Ctrl-C stops everything.', '');
  console.log(lines.join('\n'));
}

function printNewKey(): number {
  const key = newApiKey();
  console.log(`key:     ${key}\nkeyHash: ${hashApiKey(key)}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof ConfigError ? err.message : `gatehouse: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
