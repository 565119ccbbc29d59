// Lint: typescript-eslint's recommended rules, plus the rule that keeps workflow code deterministic.
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = ['fs', 'http', 'https', 'net', 'child_process', 'crypto', 'os', 'path', 'dns', 'tls', 'worker_threads', 'stream', 'zlib'];
const IO_LIBRARIES = ['pino', 'undici', 'openai', 'fastify', 'better-sqlite3', 'yaml', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'];

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
          patterns: [{ group: ['**/activities', '**/activities/*', '**/src/store/**', '**/src/http/**', '**/src/providers/openai/**', '**/src/providers/mock/**', '**/src/temporal/connection', '**/src/temporal/cli', '**/src/temporal/devServer'], allowTypeImports: true, message: 'Workflows may only import types from I/O modules.' }],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'No environment in workflow code.' }],
    },
  },
);
