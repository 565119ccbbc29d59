import { hashApiKey } from '../../src/auth';

/** Keys for the release-control tests: two admins, a reviewer and a plain caller. */
export const RELEASE_KEYS = {
  caller: 'test-key-release-caller-0123456789ab',
  reviewer: 'test-key-release-reviewer-01234567',
  root: 'test-key-release-admin-root-0123456',
  ops2: 'test-key-release-admin-ops2-0123456',
};

export const RELEASE_TASKS = ['chat', 'summarize', 'canary', 'shadowed', 'inflight', 'old'];

/** Models and routes for every release feature; each test owns the models it injects faults into. */
export function releaseConfig(mockUrl: string): Record<string, unknown> {
  const model = (upstream: string, extra: Record<string, unknown> = {}) => ({ provider: 'mock', upstream, ...extra });
  const route = (name: string, primary: string, extra: Record<string, unknown> = {}) => ({ name, match: { task: name }, primary, timeout: '5s', retries: 0, ...extra });
  return {
    providers: { mock: { kind: 'openai-compatible', baseUrl: mockUrl } },
    models: {
      small: model('mock-small', { owner: 'platform', purpose: 'cheap default', limitations: ['short answers'] }),
      large: model('mock-large'),
      cand: model('mock-cand'),
      shad: model('mock-shad'),
      first: model('mock-first'),
      second: model('mock-second'),
      legacy: model('mock-legacy', { status: 'deprecated', retirementDate: '2999-01-01' }),
      idea: model('mock-idea', { status: 'proposed' }),
    },
    callers: {
      caller: { team: 'app', roles: ['caller'], tasks: RELEASE_TASKS, defaultTask: 'chat', keyHash: hashApiKey(RELEASE_KEYS.caller) },
      reviewer: { team: 'qa', roles: ['reviewer'], keyHash: hashApiKey(RELEASE_KEYS.reviewer) },
      root: { team: 'ops', roles: ['admin'], keyHash: hashApiKey(RELEASE_KEYS.root) },
      ops2: { team: 'ops', roles: ['admin'], keyHash: hashApiKey(RELEASE_KEYS.ops2) },
    },
    routes: [
      route('chat', 'small', { fallbacks: ['large'] }),
      route('summarize', 'large', { protected: true }),
      route('canary', 'small', { canary: { model: 'cand', share: 1, rollback: { maxErrorRate: 0.5, minRequests: 4, window: '5m' } } }),
      route('shadowed', 'small', { shadow: { model: 'shad', share: 1 } }),
      route('inflight', 'first', { fallbacks: ['second'] }),
      route('old', 'legacy', { fallbacks: ['idea'] }),
    ],
  };
}

export const as = (who: keyof typeof RELEASE_KEYS) => ({ authorization: `Bearer ${RELEASE_KEYS[who]}` });
