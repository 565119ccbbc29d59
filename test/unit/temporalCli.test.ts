import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import {
  INSTALL_HINT,
  TEMPORAL_CLI_VERSION,
  cacheDir,
  cachedBinaryCandidates,
  downloadCli,
  downloadUrl,
  ensureTemporalCli,
  findOnPath,
  isGoPackageLine,
  pinnedSha256,
} from '../../src/temporal/cli';
import { devServerArgs, freePort, isPortFree, startDevServer, type DevServer } from '../../src/temporal/devServer';

const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-test-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));

function tempDir(name: string): string {
  const dir = path.join(tmpRoot, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function writeScript(file: string, body: string): string {
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('temporal cli helpers', () => {
  test('downloadUrl maps node platform/arch to the official release archive, each with a pinned checksum', () => {
    const base = 'https://github.com/temporalio/cli/releases/download/v1.5.1/temporal_cli_1.5.1';
    assert.equal(downloadUrl('v1.5.1', 'linux', 'x64'), `${base}_linux_amd64.tar.gz`);
    assert.equal(downloadUrl('v1.5.1', 'linux', 'arm64'), `${base}_linux_arm64.tar.gz`);
    assert.equal(downloadUrl('v1.5.1', 'darwin', 'arm64'), `${base}_darwin_arm64.tar.gz`);
    assert.equal(downloadUrl('v1.5.1', 'darwin', 'x64'), `${base}_darwin_amd64.tar.gz`);
    assert.throws(() => downloadUrl('v1.5.1', 'win32', 'x64'), /platform win32/);
    assert.throws(() => downloadUrl('v1.5.1', 'linux', 'ia32'), /architecture ia32/);
    for (const [p, a] of [['linux', 'x64'], ['linux', 'arm64'], ['darwin', 'x64'], ['darwin', 'arm64']] as const) {
      assert.match(pinnedSha256(p, a), /^[0-9a-f]{64}$/);
    }
  });

  test('cacheDir prefers an absolute XDG_CACHE_HOME, else HOME/.cache', () => {
    const v = TEMPORAL_CLI_VERSION;
    assert.equal(cacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' }), `/x/cache/gatehouse/temporal-${v}`);
    assert.equal(cacheDir({ HOME: '/home/u' }), `/home/u/.cache/gatehouse/temporal-${v}`);
    assert.equal(cacheDir({ XDG_CACHE_HOME: 'relative', HOME: '/home/u' }), `/home/u/.cache/gatehouse/temporal-${v}`);
    assert.deepEqual(cachedBinaryCandidates({ HOME: '/home/u' }), [
      `/home/u/.cache/gatehouse/temporal-${v}/temporal`,
      `/home/u/.cache/gatehouse/bin-${v}/temporal`,
    ]);
  });

  test('findOnPath finds executables only', () => {
    const a = tempDir('path-a');
    const b = tempDir('path-b');
    writeFileSync(path.join(a, 'temporal'), 'not executable');
    const exe = writeScript(path.join(b, 'temporal'), 'echo hi');
    const env = { PATH: ['', a, b].join(path.delimiter) };
    assert.equal(findOnPath('temporal', env), exe);
    assert.equal(findOnPath('nope', env), undefined);
    assert.equal(findOnPath('temporal', {}), undefined);
  });

  test('GATEHOUSE_TEMPORAL_CLI pointing at a missing file is a clear error', async () => {
    const missing = path.join(tmpRoot, 'missing', 'temporal');
    await assert.rejects(
      ensureTemporalCli({ env: { GATEHOUSE_TEMPORAL_CLI: missing }, log: () => undefined }),
      (err: Error) => err.message.includes(`GATEHOUSE_TEMPORAL_CLI=${missing} does not exist`),
    );
    const exe = writeScript(path.join(tempDir('explicit'), 'temporal'), 'echo hi');
    assert.equal(await ensureTemporalCli({ env: { GATEHOUSE_TEMPORAL_CLI: exe } }), exe);
  });

  test('nothing available → error says what to install', async () => {
    const home = tempDir('empty-home');
    const env = { HOME: home, PATH: tempDir('empty-path') };
    await assert.rejects(ensureTemporalCli({ env, allowDownload: false, log: () => undefined }), {
      message: INSTALL_HINT,
    });
  });

  test('downloadCli installs an archive whose SHA-256 matches, and nothing from a tampered one', async (t) => {
    const src = tempDir('archive-src');
    writeScript(path.join(src, 'temporal'), 'echo fake');
    const archive = path.join(tmpRoot, 'cli.tar.gz');
    execFileSync('tar', ['-czf', archive, '-C', src, 'temporal']);
    const good = readFileSync(archive);
    const sha256 = createHash('sha256').update(good).digest('hex');
    writeScript(path.join(src, 'temporal'), 'echo evil');
    const evilArchive = path.join(tmpRoot, 'evil.tar.gz');
    execFileSync('tar', ['-czf', evilArchive, '-C', src, 'temporal']);
    const tampered = readFileSync(evilArchive);
    const server = http.createServer((req, res) => {
      const body = req.url === '/ok' ? good : req.url === '/tampered' ? tampered : undefined;
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/gzip' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => server.close());
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const evilDir = path.join(tmpRoot, 'dl-evil', 'temporal-v1.5.1');
    await assert.rejects(downloadCli(`${base}/tampered`, evilDir, sha256), /checksum mismatch/);
    assert.deepEqual(readdirSync(evilDir), [], 'a tampered archive installs nothing');

    const dir = path.join(tmpRoot, 'dl-cache', 'temporal-v1.5.1');
    const file = await downloadCli(`${base}/ok`, dir, sha256.toUpperCase());
    assert.equal(file, path.join(dir, 'temporal'));
    assert.equal(execFileSync(file).toString().trim(), 'fake');
    assert.deepEqual(readdirSync(dir), ['temporal'], 'temp dirs are cleaned up');
    await assert.rejects(downloadCli(`${base}/missing`, dir, sha256), /HTTP 404/);
  });

  test('go build fallback: progress, cache install, and verbatim failure output', async () => {
    const goDir = tempDir('fake-go');
    const home = tempDir('go-home');
    writeScript(
      path.join(goDir, 'go'),
      [
        'echo "go: downloading github.com/temporalio/cli v1.5.1" >&2',
        'echo "github.com/example/a" >&2',
        'echo "github.com/temporalio/cli/cmd/temporal" >&2',
        `printf '#!/bin/sh\\necho built\\n' > "$GOBIN/temporal"`,
      ].join('\n'),
    );
    const logs: string[] = [];
    const env = { HOME: home, PATH: goDir };
    const file = await ensureTemporalCli({ env, allowDownload: false, log: (m) => logs.push(m) });
    assert.equal(file, path.join(cacheDir(env), 'temporal'));
    assert.match(logs[0] ?? '', /Building the Temporal CLI v1\.5\.1 with Go \(first run only/);
    assert.match(logs.at(-1) ?? '', /compiled 2 packages/);

    rmSync(file);
    writeScript(path.join(goDir, 'go'), 'for i in $(seq 1 30); do echo "line $i" >&2; done\nexit 2');
    const failEnv = { HOME: home, PATH: `${goDir}${path.delimiter}/usr/bin${path.delimiter}/bin` };
    await assert.rejects(ensureTemporalCli({ env: failEnv, allowDownload: false, log: () => undefined }), (err: Error) => {
      assert.match(err.message, /exit 2/);
      assert.match(err.message, /line 11\nline 12[\s\S]*line 30$/);
      assert.doesNotMatch(err.message, /line 10\n/);
      return true;
    });
    assert.ok(!existsSync(file));
  });

  test('isGoPackageLine counts import paths only', () => {
    assert.ok(isGoPackageLine('github.com/temporalio/cli/cmd/temporal'));
    assert.ok(isGoPackageLine('net/http'));
    assert.ok(!isGoPackageLine('go: downloading github.com/x/y v1.0.0'));
    assert.ok(!isGoPackageLine('# github.com/x/y'));
  });
});

describe('dev server', () => {
  test('devServerArgs builds the start-dev command line', () => {
    const args = devServerArgs({ cliPath: 't', port: 7300, dbFile: '/d/t.db', searchAttributes: { A: 'Keyword' } });
    assert.deepEqual(args.slice(0, 12), [
      'server', 'start-dev', '--ip', '127.0.0.1', '--port', '7300', '--ui-port', '8300',
      '--db-filename', '/d/t.db', '--namespace', 'default',
    ]);
    assert.ok(args.join(' ').includes('--search-attribute A=Keyword'));
    assert.ok(args.join(' ').includes('--dynamic-config-value frontend.enableExecuteMultiOperation=true'));
    assert.ok(devServerArgs({ cliPath: 't', port: 1, ui: false, searchAttributes: {} }).includes('--headless'));
    assert.throws(() => devServerArgs({ cliPath: 't', port: 1, searchAttributes: { 'a=b': 'Int' } }), /invalid/);
  });

  test('busy port fails with a clear message', async (t) => {
    const srv = net.createServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    t.after(() => srv.close());
    const port = (srv.address() as AddressInfo).port;
    await assert.rejects(startDevServer({ cliPath: '/nonexistent', port, ui: false, searchAttributes: {} }), {
      message: `port ${port} is in use: set GATEHOUSE_TEMPORAL_PORT to another port, or TEMPORAL_ADDRESS to use that server`,
    });
  });

  test('a server that exits early rejects with its stderr tail', async () => {
    const cli = writeScript(path.join(tempDir('bad-cli'), 'temporal'), 'echo "Error: boom" >&2\nexit 3');
    const dbFile = path.join(tmpRoot, 'bad', 'nested', 't.db');
    await assert.rejects(
      startDevServer({ cliPath: cli, port: await freePort(), ui: false, dbFile, searchAttributes: {} }),
      /exit code 3 before it was ready:\nError: boom/,
    );
    assert.ok(existsSync(path.dirname(dbFile)), 'db directory is created');
  });

  // Real binary: cached from an earlier build; skipped (not downloaded/built) when absent.
  test('real dev server: start, search attributes, stop, restart on the same db', { timeout: 40_000 }, async (t) => {
    const env = { HOME: process.env.HOME, PATH: '' };
    let cliPath: string;
    try {
      cliPath = await ensureTemporalCli({ env, allowDownload: false, allowGoBuild: false });
    } catch {
      return t.skip('no cached Temporal CLI; run `npm run temporal:install` first');
    }
    assert.ok(cachedBinaryCandidates(env).includes(cliPath), `${cliPath} should come from the cache`);

    const servers: DevServer[] = [];
    t.after(() => Promise.all(servers.map((s) => s.stop())));
    const dbFile = path.join(tempDir('real'), 'temporal.db');
    const port = await freePort();
    const searchAttributes = { GatehouseTenant: 'Keyword', GatehouseCostMicros: 'Int' } as const;
    const start = async (sa: Record<string, 'Keyword' | 'Int'>): Promise<DevServer> => {
      const s = await startDevServer({ cliPath, port, ui: false, dbFile, namespace: 'gatehouse', searchAttributes: sa });
      servers.push(s);
      return s;
    };
    const listAttributes = async (address: string): Promise<Record<string, unknown>> => {
      const conn = await Connection.connect({ address });
      try {
        const res = await conn.operatorService.listSearchAttributes({ namespace: 'gatehouse' });
        return { ...res.customAttributes };
      } finally {
        await conn.close();
      }
    };

    const first = await start(searchAttributes);
    assert.equal(first.address, `127.0.0.1:${port}`);
    assert.equal(first.uiUrl, undefined);
    assert.deepEqual(
      { GatehouseTenant: 2, GatehouseCostMicros: 3 },
      Object.fromEntries(Object.entries(await listAttributes(first.address)).filter(([k]) => k.startsWith('Gatehouse'))),
    );
    // Leave durable state behind: a workflow that stays open (no worker will ever run it).
    const conn = await Connection.connect({ address: first.address });
    await new Client({ connection: conn, namespace: 'gatehouse' }).workflow.start('Nothing', {
      taskQueue: 'none',
      workflowId: 'persist-check',
    });
    await conn.close();
    // History is private to the gateway's user, whatever the umask: the db and its WAL files are 0600.
    const dbFiles = readdirSync(path.dirname(dbFile)).filter((f) => f.startsWith('temporal.db'));
    assert.ok(dbFiles.length >= 2, dbFiles.join());
    for (const f of dbFiles) assert.equal(statSync(path.join(path.dirname(dbFile), f)).mode & 0o777, 0o600, f);
    await Promise.all([first.stop(), first.stop()]);
    assert.ok(first.process.exitCode !== null || first.process.signalCode !== null, 'process exited');
    assert.ok(await isPortFree(port));

    // No --search-attribute flags this time: what we see must come from the SQLite file.
    const second = await start({});
    const attrs = await listAttributes(second.address);
    assert.equal(attrs.GatehouseTenant, 2);
    assert.equal(attrs.GatehouseCostMicros, 3);
    const conn2 = await Connection.connect({ address: second.address });
    const desc = await new Client({ connection: conn2, namespace: 'gatehouse' }).workflow
      .getHandle('persist-check')
      .describe();
    assert.equal(desc.status.name, 'RUNNING');
    await conn2.close();
    await second.stop();

    // The CLI silently keeps an existing attribute's type; we must refuse instead.
    await assert.rejects(start({ GatehouseTenant: 'Int' }), /GatehouseTenant is registered with IndexedValueType 2/);
    assert.ok(await isPortFree(port), 'a failed start stops its child');
  });
});
