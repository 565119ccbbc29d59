#!/usr/bin/env node
import { resolve } from 'node:path';
import { credentialPublicKey } from '../auth';
import { ConfigError } from '../config';
import { EnvError } from '../config/envError';
import { startGateway, type RunningGateway } from '../gateway';
import { logFormat } from '../log';
import { PRIVATE_UMASK } from '../store/privateFiles';
import { ensureTemporalCli } from '../temporal/cli';
import { TEMPORAL_SERVER_VERSION, ensureTemporalServer } from '../temporal/serverBuild';
import { KEYS_USAGE, runKeysCommand } from './keys';
import { bannerLog, bannerText } from './banner';
import { progressPrinter } from './progress';
import { REVIEW_USAGE, runReviewCommand } from './review';
import { CANARY_USAGE, runCanaryCommand } from './canary';
import { MODELS_USAGE, runModelsCommand } from './models';
import { ROUTES_USAGE, runRoutesCommand } from './routes';
import { USAGE_USAGE, runUsageCommand } from './usage';
import { DB_USAGE, runDbCommand } from './db';
import { installShutdown, shutdownOptionsFromEnv } from './shutdown';

const USAGE = `gatehouse <command>

  start              run the gateway: dev server, worker, HTTP front door, mock provider
                     (config from $GATEHOUSE_CONFIG or ./gatehouse.config.yaml)
  keys new           print a new API key and the keyHash to put in the config
  keys rotate CALLER a new key for CALLER, the old one valid a while longer (gatehouse keys help)
  keys credential    print the workers' credential public key (GATEHOUSE_CREDENTIAL_PUBLIC_KEY
                     for front doors and TS clients on other hosts)
  temporal install   find or build the Temporal CLI and print its path
  temporal install-server
                     build (once, with Go) the production temporal-server and temporal-sql-tool
  db migrate|status  apply or show the database's schema migrations (SQLite, or DATABASE_URL)
  review …           list, show, approve, edit or reject held requests (\`gatehouse review help\`)
  routes …           show, apply, history, rollback, disable, enable, approve (\`gatehouse routes help\`)
  models list|show   the model catalogue
  canary report R    primary vs candidate on route R (\`gatehouse canary help\`)

Every command answers --help, -h and help.
`;

const TEMPORAL_USAGE = `gatehouse temporal install | install-server

  install         find or build the Temporal CLI (the embedded dev server) and print its path
  install-server  build temporal-server and temporal-sql-tool ${TEMPORAL_SERVER_VERSION} (the server the CLI embeds)
                  with Go into ~/.cache/gatehouse once, and print where they and the PostgreSQL schema are
`;

/** Every command, its help text and its runner: `--help`, `-h` and `help` are answered once, here. */
const COMMANDS: Record<string, { usage: string; run: (args: string[]) => number | Promise<number> }> = {
  start: { usage: 'gatehouse start\n\n  run the gateway (config from $GATEHOUSE_CONFIG or ./gatehouse.config.yaml; see docs/running.md)\n', run: () => start() },
  keys: { usage: `${KEYS_USAGE}  credential           print the workers' credential public key\n`, run: (args) => (args[0] === 'credential' ? printCredentialKey() : runKeysCommand(args)) },
  review: { usage: REVIEW_USAGE, run: (args) => runReviewCommand(args) },
  routes: { usage: ROUTES_USAGE, run: (args) => runRoutesCommand(args) },
  models: { usage: MODELS_USAGE, run: (args) => runModelsCommand(args) },
  canary: { usage: CANARY_USAGE, run: (args) => runCanaryCommand(args) },
  usage: { usage: USAGE_USAGE, run: (args) => runUsageCommand(args) },
  db: { usage: DB_USAGE, run: (args) => runDbCommand(args) },
  temporal: { usage: TEMPORAL_USAGE, run: (args) => installTemporal(args) },
};

const wantsHelp = (args: string[]) => args.some((a) => a === '--help' || a === '-h') || args[0] === 'help';

async function main(argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  const command = cmd === undefined ? undefined : COMMANDS[cmd];
  if (!command) {
    const asked = cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h';
    (asked ? console.log : console.error)(USAGE);
    return asked ? 0 : 2;
  }
  if (wantsHelp(args)) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(args);
  } catch (err) {
    // A mistyped option is the operator's, not a crash: say what, point at the help, no stack.
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      console.error(`gatehouse ${cmd}: ${(err as Error).message.split('. ')[0]}. See \`gatehouse ${cmd} --help\`.`);
      return 2;
    }
    throw err;
  }
}

async function installTemporal(args: string[]): Promise<number> {
  const out = progressPrinter(process.stderr);
  if (args[0] === 'install') {
    const path = await ensureTemporalCli({ log: out.line, progress: out.status });
    out.end(); // the path alone on stdout
    console.log(path);
  } else if (args[0] === 'install-server') {
    const built = await ensureTemporalServer({ log: out.line, progress: out.status });
    out.end();
    console.log(`temporal-server    ${built.server}
temporal-sql-tool  ${built.sqlTool}
schema             ${built.schemaDir}`);
  } else {
    console.error(COMMANDS.temporal!.usage);
    return 2;
  }
  return 0;
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
  printBanner(gw);
  process.on('SIGHUP', () => gw.reloadConfig()); // re-read the config file now
  await shutdown.signalled;
  await gw.stop();
  return 0;
}

/** Text for a person (pretty logs), one JSON line among the others (JSON logs): see docs/running.md. */
function printBanner(gw: RunningGateway): void {
  const info = { url: gw.url, uiUrl: gw.uiUrl, temporal: gw.temporalAddress, demoKey: gw.demoKey, demoKeyFile: gw.demoKeyFile };
  const tty = process.stdout.isTTY === true;
  if (logFormat(process.env, tty) === 'pretty') {
    console.log(bannerText(info, tty));
    return;
  }
  const { msg, fields } = bannerLog(info);
  gw.logger.child({}, { level: 'info' }).info(fields, msg); // shown whatever GATEHOUSE_LOG_LEVEL says
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
    console.error(err instanceof ConfigError ? err.message : err instanceof EnvError ? `gatehouse: ${err.message}` : `gatehouse: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
