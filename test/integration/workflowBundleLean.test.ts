import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

/**
 * Module code in the workflow bundle is evaluated again for every workflow: a heavy import there
 * (a schema library, the sensitivity detectors and their patterns) costs every request CPU and
 * memory. Measured once: importing screen.ts and zod into workflows doubled the gateway's CPU per
 * request. Workflow code imports decisions through type-only or light files instead.
 */
describe('the workflow bundle', () => {
  it('holds no schema library, regex engine, detectors, SDKs or store code', () => {
    const file = process.env.GATEHOUSE_TEST_WORKFLOW_BUNDLE;
    assert.ok(file, 'npm test builds one bundle for the run');
    const bundle = readFileSync(file, 'utf8');
    for (const heavy of ['node_modules/zod', 'node_modules/re2js', 'node_modules/openai', 'node_modules/pino', 'node_modules/better-sqlite3', 'node_modules/pg/', 'src/policy/sensitivity', 'src/policy/screen.ts', 'src/store/', 'src/config/schema']) {
      assert.ok(!bundle.includes(heavy), `the workflow bundle includes ${heavy}`);
    }
  });
});
