import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = join(__dirname, '..', '..');

/** The lint rule that keeps preloaded workflow modules (src/temporal/workflowBundle.ts) free of state shared between runs. */
async function sharedStateErrors(code: string, file: string): Promise<number> {
  const [result] = await new ESLint({ cwd: ROOT }).lintText(code, { filePath: join(ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-syntax').length;
}

describe('workflow modules are shared by every run, so lint refuses module-level state', () => {
  it('refuses a module-level let, an exported var and a mutable Map in workflows/', async () => {
    const code = 'let n = 0;\nexport var m = 1;\nconst seen = new Map<string, number>();\nexport function f() { n++; seen.set("a", n); return m; }\n';
    assert.equal(await sharedStateErrors(code, 'workflows/probe.ts'), 3);
  });

  it('refuses the same in the pure folders workflows import', async () => {
    assert.equal(await sharedStateErrors('const cache = new Set<string>();\nexport const has = (s: string) => cache.has(s);\n', 'src/routing/probe.ts'), 1);
  });

  it('allows constants and collections typed Readonly', async () => {
    const code = "export const LIMIT = 3;\nexport const NAMES: ReadonlySet<string> = new Set(['a']);\nexport function f() { let local = 0; local++; return local; }\n";
    assert.equal(await sharedStateErrors(code, 'workflows/probe.ts'), 0);
  });
});
