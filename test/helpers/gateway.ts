import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { hashApiKey } from '../../src/auth';
import { startGateway, type GatewayOptions, type RunningGateway } from '../../src/gateway';
import { startMockProvider, type MockProvider } from '../../src/mock';

/** Keys of the test callers; their hashes go into the generated config. */
export const KEYS = {
  support: 'test-key-support-0123456789abcdef',
  analyst: 'test-key-analyst-0123456789abcdef',
};

export interface TestGateway extends RunningGateway {
  url: string;
  mock: MockProvider;
  dir: string;
  configFile: string;
  taskQueue: string;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** A config on a real mock server: `routes` and `models` may be overridden per test. */
export function testConfig(mockUrl: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    providers: { mock: { kind: 'openai-compatible', baseUrl: mockUrl } },
    models: {
      small: { provider: 'mock', upstream: 'mock-small' },
      large: { provider: 'mock', upstream: 'mock-large' },
    },
    callers: {
      support: { team: 'support', roles: ['caller'], tasks: ['chat', 'summarize'], defaultTask: 'chat', keyHash: hashApiKey(KEYS.support) },
      analyst: { team: 'data', roles: ['caller'], tasks: ['summarize'], keyHash: hashApiKey(KEYS.analyst) },
    },
    routes: [
      { name: 'chat', match: { task: 'chat' }, primary: 'small', fallbacks: ['large'], timeout: '5s', retries: 2 },
      { name: 'summarize', match: { task: 'summarize' }, primary: 'large', fallbacks: [], timeout: '5s', retries: 0 },
    ],
    ...overrides,
  };
}

export interface TestGatewayOptions extends Partial<GatewayOptions> {
  config?: (mockUrl: string) => Record<string, unknown>;
  mock?: MockProvider;
  taskQueue?: string;
}

/**
 * A whole gateway in this process against the run's shared dev server (TEMPORAL_ADDRESS from
 * test/run.ts), its own task queue, data dir, random HTTP port and a real mock provider.
 */
export async function startTestGateway(opts: TestGatewayOptions = {}): Promise<TestGateway> {
  if (!process.env.TEMPORAL_ADDRESS) throw new Error('integration tests run through `npm test` (it starts the dev server)');
  const mock = opts.mock ?? (await startMockProvider());
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-it-'));
  const configFile = join(dir, 'gatehouse.config.yaml');
  writeFileSync(configFile, stringify((opts.config ?? ((u) => testConfig(u)))(mock.url)));
  const taskQueue = opts.taskQueue ?? `test-${randomUUID()}`;
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_PORT: '0', GATEHOUSE_TASK_QUEUE: taskQueue, ...opts.env };
  const gw = await startGateway({
    ...opts,
    configFile,
    env,
    dataDir: dir,
    logger: opts.logger ?? pino({ level: process.env.GATEHOUSE_LOG_LEVEL ?? 'warn' }),
    workflowBundle: opts.workflowBundle ?? bundle(),
    taskQueue,
  }).catch(async (err: unknown) => {
    // A gateway that did not start (e.g. a bad config) must not leave its mock server holding the test process open.
    if (!opts.mock) await mock.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    ...gw,
    url: gw.url ?? '',
    mock,
    dir,
    configFile,
    taskQueue,
    env,
    async close() {
      await gw.stop();
      if (!opts.mock) await mock.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function bundle(): GatewayOptions['workflowBundle'] {
  const codePath = process.env.GATEHOUSE_TEST_WORKFLOW_BUNDLE;
  return codePath ? { codePath } : undefined;
}

/** POST /v1/chat/completions with plain fetch (for status codes and headers the SDK hides). */
export function chat(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Sent> {
  return send(url, '/v1/chat/completions', typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json', ...headers });
}

export interface Sent {
  status: number;
  headers: Headers;
  json: any;
}

/** Any body (string or bytes) with any headers to any path; JSON back when it is JSON, else the text. */
export async function send(url: string, path: string, body: string | Buffer | undefined, headers: Record<string, string>, method = 'POST'): Promise<Sent> {
  const res = await fetch(`${url}${path}`, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
}

export const auth = (key: string) => ({ authorization: `Bearer ${key}` });
export const hello = (content = 'Hello', model = 'auto') => ({ model, messages: [{ role: 'user' as const, content }] });
