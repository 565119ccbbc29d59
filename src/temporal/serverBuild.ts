/**
 * The production Temporal server (`temporal-server`) and its schema tool (`temporal-sql-tool`), built
 * from the very server module the CLI embeds, for tests and operators who want a real cluster
 * locally. Built with `go install` into the user cache (hundreds of MB, never in the repository),
 * together with a copy of the server's PostgreSQL schema, and reused from there.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { cp, rename } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { cacheBase, findOnPath, goInstall, isExecutableFile, withTempDir } from './cli';

/** `go.temporal.io/server` as required by github.com/temporalio/cli@v1.5.1 (its go.mod): the dev server's code. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
const MODULE = 'go.temporal.io/server';
const BINARIES = { server: 'temporal-server', sqlTool: 'temporal-sql-tool' } as const;
/** Where the schema sits inside the module, and inside our cache directory. */
const SCHEMA = path.join('schema', 'postgresql', 'v12');

export interface TemporalServerInstall {
  server: string;
  sqlTool: string;
  /** PostgreSQL 12+ schema: `temporal/versioned` and `visibility/versioned` below it. */
  schemaDir: string;
  version: string;
}

export function serverCacheDir(env: NodeJS.ProcessEnv = process.env, version = TEMPORAL_SERVER_VERSION): string {
  return path.join(cacheBase(env), 'gatehouse', `temporal-server-${version}`);
}

/** The install in `dir` if it is complete (both binaries and the schema), else undefined. */
export function cachedServerInstall(dir: string, version = TEMPORAL_SERVER_VERSION): TemporalServerInstall | undefined {
  const found: TemporalServerInstall = {
    server: path.join(dir, BINARIES.server),
    sqlTool: path.join(dir, BINARIES.sqlTool),
    schemaDir: path.join(dir, SCHEMA),
    version,
  };
  const complete = isExecutableFile(found.server) && isExecutableFile(found.sqlTool) && isDirectory(path.join(found.schemaDir, 'visibility', 'versioned'));
  return complete ? found : undefined;
}

/** Find or build the production server; resolves to its binaries and schema. Needs Go on the first run. */
export async function ensureTemporalServer(opts: { env?: NodeJS.ProcessEnv; log?: (m: string) => void; progress?: (m: string) => void } = {}): Promise<TemporalServerInstall> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((m: string) => process.stderr.write(`[gatehouse] ${m}\n`));
  const dir = serverCacheDir(env);
  const cached = cachedServerInstall(dir);
  if (cached) return cached;
  const go = findOnPath('go', env);
  if (!go) throw new Error(`building the Temporal server ${TEMPORAL_SERVER_VERSION} needs Go ≥1.25 on PATH (https://go.dev/dl)`);
  log(`Building temporal-server and temporal-sql-tool ${TEMPORAL_SERVER_VERSION} with Go (first run only, takes minutes)…`);
  await withTempDir(dir, async (tmp) => {
    const pkgs = ['cmd/server', 'cmd/tools/sql'].map((p) => `${MODULE}/${p}@${TEMPORAL_SERVER_VERSION}`);
    await goInstall(go, pkgs, tmp, env, log, `the Temporal server ${TEMPORAL_SERVER_VERSION}`, opts.progress);
    // The schema ships in the module only: copy it next to the binaries, so a cleaned module cache costs nothing.
    const modDir = await moduleDir(go, tmp, env);
    await cp(path.join(modDir, SCHEMA), path.join(tmp, SCHEMA), { recursive: true });
    // The binaries last, each by rename: a half-built install is never taken for a complete one.
    await rename(path.join(tmp, SCHEMA.split(path.sep)[0]!), path.join(dir, SCHEMA.split(path.sep)[0]!)).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err; // a concurrent install got there first
    });
    await rename(path.join(tmp, 'sql'), path.join(dir, BINARIES.sqlTool));
    await rename(path.join(tmp, 'server'), path.join(dir, BINARIES.server));
  });
  const built = cachedServerInstall(dir);
  if (!built) throw new Error(`the Temporal server build left an incomplete install in ${dir}`);
  log(`Temporal server installed in ${dir}`);
  return built;
}

/** The module's directory in the Go module cache (go install has just downloaded it). */
async function moduleDir(go: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await promisify(execFile)(go, ['env', 'GOMODCACHE'], { cwd, env });
  return path.join(stdout.trim(), `${MODULE}@${TEMPORAL_SERVER_VERSION}`);
}

function isDirectory(dir: string): boolean {
  return statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true;
}
