import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import { TEMPORAL_CLI_VERSION } from '../../src/temporal/cli';
import { DYNAMIC_CONFIG } from '../../src/temporal/devServer';
import { SearchAttributeMismatch, missingSearchAttributes, readinessQuery } from '../../src/temporal/namespace';
import { TEMPORAL_SERVER_VERSION, cachedServerInstall, serverCacheDir } from '../../src/temporal/serverBuild';

const tmpRoot = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-server-setup-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));

describe('search attributes a namespace lacks', () => {
  const want = { GatehouseCaller: 'Keyword', GatehouseTeam: 'Keyword' } as const;

  test('names absent (or null) are missing, with their IndexedValueType', () => {
    assert.deepEqual(missingSearchAttributes({}, want, 'ns'), { GatehouseCaller: 2, GatehouseTeam: 2 });
    assert.deepEqual(missingSearchAttributes({ GatehouseCaller: 2, GatehouseTeam: null }, want, 'ns'), { GatehouseTeam: 2 });
  });

  test('nothing is missing when every name is there with its type (the enum may arrive as a string number)', () => {
    assert.deepEqual(missingSearchAttributes({ GatehouseCaller: 2, GatehouseTeam: '2', Other: 1 }, want, 'ns'), {});
  });

  test('a name registered with another type is refused, naming it', () => {
    assert.throws(() => missingSearchAttributes({ GatehouseCaller: 1 }, want, 'prod'), (err: Error) => {
      assert.ok(err instanceof SearchAttributeMismatch);
      assert.match(err.message, /GatehouseCaller .* namespace prod .* IndexedValueType 1, but Gatehouse needs Keyword/);
      return true;
    });
  });

  test('the readiness query names every attribute', () => {
    assert.equal(readinessQuery(['A', 'B']), 'A = "gatehouse-readiness-probe" AND B = "gatehouse-readiness-probe"');
  });
});

describe('the production server install', () => {
  test('is the server module the pinned CLI embeds (its go.mod, when the module cache has it)', (t) => {
    let modCache = '';
    try {
      modCache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
    } catch {
      return t.skip('no Go on PATH');
    }
    const goMod = path.join(modCache, `github.com/temporalio/cli@${TEMPORAL_CLI_VERSION}`, 'go.mod');
    if (!existsSync(goMod)) return t.skip(`${goMod} is not in the module cache`);
    assert.match(readFileSync(goMod, 'utf8'), new RegExp(`go\\.temporal\\.io/server ${TEMPORAL_SERVER_VERSION.replace(/\./g, '\\.')}\\b`));
  });

  test('lives in the user cache beside the CLI', () => {
    assert.equal(serverCacheDir({ HOME: '/home/u' }), `/home/u/.cache/gatehouse/temporal-server-${TEMPORAL_SERVER_VERSION}`);
    assert.equal(serverCacheDir({ HOME: '/home/u', XDG_CACHE_HOME: '/c' }), `/c/gatehouse/temporal-server-${TEMPORAL_SERVER_VERSION}`);
  });

  test('a cached install is reused only when both binaries and the schema are there', () => {
    const dir = path.join(tmpRoot, 'install');
    const exe = (name: string) => {
      writeFileSync(path.join(dir, name), '#!/bin/sh\n');
      chmodSync(path.join(dir, name), 0o755);
    };
    mkdirSync(dir, { recursive: true });
    exe('temporal-server');
    assert.equal(cachedServerInstall(dir), undefined, 'no sql tool yet');
    exe('temporal-sql-tool');
    assert.equal(cachedServerInstall(dir), undefined, 'no schema yet');
    mkdirSync(path.join(dir, 'schema/postgresql/v12/visibility/versioned'), { recursive: true });
    const found = cachedServerInstall(dir);
    assert.equal(found?.server, path.join(dir, 'temporal-server'));
    assert.equal(found?.schemaDir, path.join(dir, 'schema/postgresql/v12'));
  });
});

test('the reference stack\'s Temporal gets the dynamic config the dev server gets', () => {
  const file = parse(readFileSync(path.join(__dirname, '..', '..', 'deploy', 'temporal-dynamicconfig.yaml'), 'utf8')) as Record<string, Array<{ value: unknown }>>;
  const asFlags = Object.entries(file).map(([key, [first]]) => `${key}=${JSON.stringify(first!.value)}`);
  assert.deepEqual(asFlags.sort(), [...DYNAMIC_CONFIG].sort());
});
