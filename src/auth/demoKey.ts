import { secretFile } from '../store/privateFiles';
import { newApiKey } from './apiKeys';

/**
 * The demo caller's key: GATEHOUSE_DEMO_KEY when set, else one generated once and kept in
 * ./data/demo-key (mode 0600) so the printed key stays valid across restarts.
 */
export function loadDemoKey(env: NodeJS.ProcessEnv, file: string): string {
  return env.GATEHOUSE_DEMO_KEY || secretFile(file, newApiKey);
}
