import { parseConfigObject, type Config } from '../../src/config';

/** A small config for route-table tests: three models, a plain route and a protected one. */
export function twoRouteConfig(extra: Record<string, unknown> = {}): Config {
  return parseConfigObject({
    providers: { p: { kind: 'openai', baseUrl: 'http://x/v1' } },
    models: { a: { provider: 'p', upstream: 'up-a' }, b: { provider: 'p', upstream: 'up-b' }, c: { provider: 'p', upstream: 'up-c' } },
    callers: { bot: { team: 't', tasks: ['chat', 'sum'], keyHash: `sha256:${'a'.repeat(64)}` } },
    routes: [
      { name: 'chat', match: { task: 'chat' }, primary: 'a', fallbacks: ['b'] },
      { name: 'sum', match: { task: 'sum' }, primary: 'b', protected: true },
    ],
    ...extra,
  });
}
