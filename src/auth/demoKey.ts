import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { newApiKey } from './apiKeys';

/**
 * The demo caller's key: GATEHOUSE_DEMO_KEY when set, else one generated once and kept in
 * ./data/demo-key (mode 0600) so the printed key stays valid across restarts.
 */
export function loadDemoKey(env: NodeJS.ProcessEnv, file: string): string {
  if (env.GATEHOUSE_DEMO_KEY) return env.GATEHOUSE_DEMO_KEY;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = newApiKey();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
