/**
 * Locate (or fetch, or build) the Temporal CLI binary that hosts the embedded dev server.
 *
 * Lookup order: GATEHOUSE_TEMPORAL_CLI → `temporal` on PATH → user cache → official
 * download → `go install`. The binary is ~250 MB, so it only ever lives in the user's
 * cache directory, never inside the repository.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, createWriteStream, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { promisify } from 'node:util';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';

/**
 * SHA-256 of the release archives of TEMPORAL_CLI_VERSION (`temporal_cli_1.5.1_<os>_<arch>.tar.gz`
 * on github.com/temporalio/cli/releases, the values of its checksums.txt). Pinned in the code so a
 * tampered download or mirror cannot also supply its own checksum; a new version needs new pins.
 */
export const TEMPORAL_CLI_SHA256: Readonly<Record<string, string>> = {
  linux_amd64: 'ddc95e08b0b076efd4ea9733a3f488eb7d2be875f8834e616cd2a37358b4852d',
  linux_arm64: 'bd1b0db9f18b051026de8bf6cc1505f2510f14bbb7a8b9a4a91fff46c77454f5',
  darwin_amd64: 'bbb73e2a31135abe50a1f1cdb35030c42961df618e8ce9c60ae89f201540c5d9',
  darwin_arm64: 'cca01b7ea35ad56e2a328d9ae596bf716bd22313ef63c7a761c88354457c2415',
};

export const INSTALL_HINT =
  'Install the Temporal CLI (https://docs.temporal.io/cli#install) and put `temporal` on PATH, ' +
  'or install Go ≥1.22 so Gatehouse can build it, ' +
  'or set GATEHOUSE_TEMPORAL_CLI=/path/to/temporal';

export interface EnsureTemporalCliOptions {
  log?: (msg: string) => void;
  /** The build's periodic "still building" line (default: `log`); a terminal may redraw it in place. */
  progress?: (msg: string) => void;
  env?: NodeJS.ProcessEnv;
  allowDownload?: boolean;
  allowGoBuild?: boolean;
}

const execFileAsync = promisify(execFile);
// Offline machines must fail fast: headers have to arrive within this window.
const CONNECT_TIMEOUT_MS = 5_000;
// The archive is tens of MB; allow a slow link but not an indefinite hang.
const BODY_TIMEOUT_MS = 5 * 60_000;
const HEARTBEAT_MS = 15_000;
const GO_TAIL_LINES = 20;

const defaultLog = (msg: string): void => {
  process.stderr.write(`[gatehouse] ${msg}\n`);
};

/** Root of the user cache (XDG_CACHE_HOME if absolute, else ~/.cache). */
export function cacheBase(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec says relative values are invalid and must be ignored.
  if (xdg && path.isAbsolute(xdg)) return xdg;
  return path.join(env.HOME || os.homedir(), '.cache');
}

/** Directory holding the cached binary for one CLI version. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env, version = TEMPORAL_CLI_VERSION): string {
  return path.join(cacheBase(env), 'gatehouse', `temporal-${version}`);
}

/** Every cache location we accept, preferred first (includes the older `bin-<version>` layout). */
export function cachedBinaryCandidates(
  env: NodeJS.ProcessEnv = process.env,
  version = TEMPORAL_CLI_VERSION,
): string[] {
  const home = path.join(env.HOME || os.homedir(), '.cache');
  const legacy = [cacheBase(env), home].map((base) => path.join(base, 'gatehouse', `bin-${version}`, 'temporal'));
  return [...new Set([path.join(cacheDir(env, version), 'temporal'), ...legacy])];
}

/** The release's name for a node platform/arch (`linux_amd64`); throws for platforms Temporal does not publish builds for. */
export function releasePlatform(platform: string, arch: string): string {
  if (platform !== 'linux' && platform !== 'darwin') throw new Error(`no Temporal CLI build for platform ${platform}`);
  const goArch = ({ x64: 'amd64', amd64: 'amd64', arm64: 'arm64' } as Record<string, string>)[arch];
  if (!goArch) throw new Error(`no Temporal CLI build for architecture ${arch}`);
  return `${platform}_${goArch}`;
}

/** The official release archive (the file the pinned checksums are of). */
export function downloadUrl(version: string, platform: string, arch: string): string {
  const bare = version.replace(/^v/, '');
  return `https://github.com/temporalio/cli/releases/download/v${bare}/temporal_cli_${bare}_${releasePlatform(platform, arch)}.tar.gz`;
}

/** The pinned SHA-256 of this platform's archive; throws when none is pinned (nothing unverified is installed). */
export function pinnedSha256(platform: string, arch: string): string {
  const key = releasePlatform(platform, arch);
  const sum = TEMPORAL_CLI_SHA256[key];
  if (!sum) throw new Error(`no pinned checksum for the Temporal CLI ${TEMPORAL_CLI_VERSION} on ${key}`);
  return sum;
}

export function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Like `which`, but without depending on it being installed. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    // An empty entry means "current directory" to a shell; never trust that implicitly.
    if (!dir) continue;
    const candidate = path.resolve(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function explicitCli(value: string): string {
  const file = path.resolve(value);
  try {
    statSync(file);
  } catch {
    throw new Error(`GATEHOUSE_TEMPORAL_CLI=${value} does not exist; point it at the temporal binary or unset it`);
  }
  if (!isExecutableFile(file)) {
    throw new Error(`GATEHOUSE_TEMPORAL_CLI=${value} is not an executable file (try chmod +x, or unset it)`);
  }
  return file;
}

// undici reports network errors as a bare "fetch failed"; the useful part is in `cause`.
function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}

/**
 * Put `tmpDir/temporal` into `dir/temporal` with a rename, so a concurrent reader never
 * sees a half-written binary (tmpDir is created inside `dir`, hence on the same filesystem).
 */
async function promoteBinary(tmpDir: string, dir: string): Promise<string> {
  const built = path.join(tmpDir, 'temporal');
  if (!statSync(built, { throwIfNoEntry: false })?.isFile()) throw new Error(`expected ${built} to exist`);
  await chmod(built, 0o755);
  const target = path.join(dir, 'temporal');
  await rename(built, target);
  return target;
}

export async function withTempDir<T>(dir: string, fn: (tmp: string) => Promise<T>): Promise<T> {
  await mkdir(dir, { recursive: true });
  const tmp = await mkdtemp(path.join(dir, '.tmp-'));
  try {
    return await fn(tmp);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Downloads `url` into `file`; resolves to the SHA-256 (hex) of what was written. */
async function fetchToFile(url: string, file: string): Promise<string> {
  const ctrl = new AbortController();
  let timer = setTimeout(() => ctrl.abort(new Error(`no response within ${CONNECT_TIMEOUT_MS / 1000}s`)), CONNECT_TIMEOUT_MS);
  try {
    const res = await fetch(url, { signal: ctrl.signal, redirect: 'follow' });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} from ${url}`);
    clearTimeout(timer);
    timer = setTimeout(() => ctrl.abort(new Error('download took too long')), BODY_TIMEOUT_MS);
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    const hash = createHash('sha256');
    body.on('data', (chunk: Buffer) => hash.update(chunk));
    await pipeline(body, createWriteStream(file));
    return hash.digest('hex');
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Download a CLI .tar.gz from `url`, check its SHA-256 against `sha256` before anything is unpacked,
 * and install its `temporal` into `dir`. A mismatch installs nothing. Exported for tests.
 */
export async function downloadCli(url: string, dir: string, sha256: string): Promise<string> {
  return withTempDir(dir, async (tmp) => {
    const archive = path.join(tmp, 'temporal.tar.gz');
    const actual = await fetchToFile(url, archive);
    if (actual !== sha256.toLowerCase()) throw new Error(`checksum mismatch for ${url}: expected sha256 ${sha256}, got ${actual}`);
    await execFileAsync('tar', ['-xzf', archive, '-C', tmp]);
    return promoteBinary(tmp, dir);
  });
}

/** `go build -v` prints one import path per compiled package; everything else has spaces or a prefix. */
export function isGoPackageLine(line: string): boolean {
  return /^[A-Za-z0-9][\w.\-~]*(\/[\w.\-~+]+)*$/.test(line) && !line.startsWith('go:');
}

/** Run `go install` into a temp GOBIN under `dir`, with progress, then promote the binary. */
async function goBuild(goBin: string, dir: string, env: NodeJS.ProcessEnv, log: (msg: string) => void, progress = log): Promise<string> {
  log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go (first run only, takes a few minutes)…`);
  return withTempDir(dir, async (tmp) => {
    await goInstall(goBin, [`github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], tmp, env, log, 'the Temporal CLI', progress);
    return promoteBinary(tmp, dir);
  });
}

/**
 * `go install -v` of `packages` into `gobin` (run from `gobin`, so no go.mod or go.work of the
 * caller's directory takes part), with a heartbeat while it compiles and the output's last lines
 * in the error when it fails. Shared by the CLI and the production server builds.
 */
export async function goInstall(
  goBin: string,
  packages: string[],
  gobin: string,
  env: NodeJS.ProcessEnv,
  log: (msg: string) => void,
  what: string,
  /** The "still building" heartbeat (a terminal redraws it in place); default `log`. */
  progress: (msg: string) => void = log,
): Promise<void> {
  const started = Date.now();
  const tail: string[] = [];
  let compiled = 0;
  const child = spawn(goBin, ['install', '-v', ...packages], { cwd: gobin, env: { ...env, GOBIN: gobin }, stdio: ['ignore', 'pipe', 'pipe'] });
  const onLine = (line: string): void => {
    if (!line) return;
    if (isGoPackageLine(line)) compiled++;
    tail.push(line);
    if (tail.length > GO_TAIL_LINES) tail.shift();
  };
  forEachLine(child.stdout, onLine);
  forEachLine(child.stderr, onLine);
  const elapsed = (): number => Math.round((Date.now() - started) / 1000);
  const heartbeat = setInterval(() => progress(`…still building (${elapsed()}s, compiled ${compiled} packages)`), HEARTBEAT_MS);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (code !== 0) throw new Error(`go install of ${what} failed (exit ${code}). Last lines of output:\n${tail.join('\n')}`);
  } finally {
    clearInterval(heartbeat);
  }
  log(`Built ${what} in ${elapsed()}s (compiled ${compiled} packages)`);
}

/** Split a stream into lines (handles chunks that end mid-line). */
export function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    const lines = buf.split(/\r?\n/);
    buf = lines.pop() ?? '';
    lines.forEach(onLine);
  });
  stream.on('end', () => {
    if (buf) onLine(buf);
    buf = '';
  });
}

/** Find or obtain the Temporal CLI; resolves to its absolute path. */
export async function ensureTemporalCli(opts: EnsureTemporalCliOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? defaultLog;
  if (env.GATEHOUSE_TEMPORAL_CLI) return explicitCli(env.GATEHOUSE_TEMPORAL_CLI);

  const found = findOnPath('temporal', env) ?? cachedBinaryCandidates(env).find(isExecutableFile);
  if (found) return found;

  const dir = cacheDir(env);
  if (opts.allowDownload !== false) {
    try {
      const url = downloadUrl(TEMPORAL_CLI_VERSION, process.platform, process.arch);
      const sha256 = pinnedSha256(process.platform, process.arch);
      log(`Downloading the Temporal CLI ${TEMPORAL_CLI_VERSION} from ${url}…`);
      const file = await downloadCli(url, dir, sha256);
      log(`Temporal CLI installed at ${file}`);
      return file;
    } catch (err) {
      log(`Temporal CLI download failed (${errorText(err)}); trying the next option`);
    }
  }

  const go = opts.allowGoBuild !== false ? findOnPath('go', env) : undefined;
  if (go) return goBuild(go, dir, env, log, opts.progress);
  throw new Error(INSTALL_HINT);
}
