// Lint: typescript-eslint's recommended rules, plus the rule that keeps workflow code deterministic.
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = ['fs', 'http', 'https', 'net', 'child_process', 'crypto', 'os', 'path', 'dns', 'tls', 'worker_threads', 'stream', 'zlib'];
const PURE_FOLDERS = ['routing', 'failures', 'policy', 'validation', 'canary', 'catalog', 'review', 'errors', 'requests', 'formats', 'queue', 'embeddings', 'cache'];
// Provider adapters (every src/providers/<vendor>/ folder, the registry listing them, createProviders
// in src/providers/index) and the mock server are I/O; only the shared pure files of src/providers are not.
const PROVIDER_IO = String.raw`(^|/)(providers(/(?!(conduct|upstreamError|deadlines|types|kind|sse)$)[^/]+(/.*)?)?|mock(/.*)?)$`;
const IO_LIBRARIES = ['pino', 'undici', 'openai', 'fastify', 'better-sqlite3', 'yaml', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'];

// Workflow modules (and the pure modules they import) are preloaded once into the worker's V8
// context and shared by every workflow run (src/temporal/workflowBundle.ts): module-level state
// would leak from one request to the next. Constants only; a module-level collection is typed Readonly.
const NO_SHARED_STATE = [
  'error',
  ...['Program > VariableDeclaration[kind!="const"]', 'Program > ExportNamedDeclaration > VariableDeclaration[kind!="const"]'].map((selector) => ({
    selector,
    message: 'No module-level `let`/`var`: workflow modules are shared by every run. Keep state in the workflow function.',
  })),
  ...['Program > VariableDeclaration', 'Program > ExportNamedDeclaration > VariableDeclaration'].map((decl) => ({
    selector: `${decl} > VariableDeclarator:not([id.typeAnnotation.typeAnnotation.typeName.name=/^Readonly/]) > NewExpression[callee.name=/^(Map|Set|WeakMap|WeakSet)$/]`,
    message: 'A module-level collection is shared by every workflow run: type it ReadonlySet/ReadonlyMap (and never mutate it) or keep it in the workflow function.',
  })),
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', 'bench/results/**', '.perf/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...NODE_BUILTINS.flatMap((m) => [m, `node:${m}`]), ...IO_LIBRARIES].map((name) => ({
            name,
            message: 'Workflow code must be deterministic: do I/O in an activity.',
          })),
          patterns: [{ group: ['**/activities', '**/activities/*', '**/src/store/**', '**/src/http/**', '**/src/temporal/connection', '**/src/temporal/cli', '**/src/temporal/devServer'], allowTypeImports: true, message: 'Workflows may only import types from I/O modules.' }, { regex: PROVIDER_IO, allowTypeImports: true, message: 'Workflows may only import types from provider adapters and the mock server.' }],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'No environment in workflow code.' }],
      'no-restricted-syntax': NO_SHARED_STATE,
    },
  },
  {
    // The decisions: pure functions on plain data (the planner, policy, validators, scoring, review
    // rules), unit-tested without Temporal and safe to call from workflow code.
    files: PURE_FOLDERS.map((d) => `src/${d}/**/*.ts`),
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...NODE_BUILTINS.flatMap((m) => [m, `node:${m}`]), ...IO_LIBRARIES].map((name) => ({
            name,
            message: 'Decisions are pure: do I/O in an activity or the caller, and pass the data in.',
          })),
          patterns: [{ group: ['**/activities', '**/activities/*', '**/store', '**/store/**', '**/http', '**/http/**', '**/temporal/connection', '**/temporal/cli', '**/temporal/devServer'], allowTypeImports: true, message: 'Pure modules may only import types from I/O modules.' }, { regex: PROVIDER_IO, allowTypeImports: true, message: 'Pure modules may only import types from provider adapters and the mock server.' }],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'No environment in pure code: pass settings in.' }],
      'no-restricted-syntax': NO_SHARED_STATE,
    },
  },
);
