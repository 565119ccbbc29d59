import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface GatewayProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

/**
 * `gatehouse start` as its own OS process (e.g. a worker to SIGKILL). Resolves once it prints
 * its banner, i.e. everything inside it is running.
 */
export async function spawnGateway(env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<GatewayProcess> {
  // Launched as `npm start` launches it: bin/gatehouse (its memory settings included).
  const child = spawn(join(ROOT, 'bin/gatehouse'), ['start'], {
    cwd: ROOT,
    env: { ...env, GATEHOUSE_WORKFLOW_BUNDLE: env.GATEHOUSE_WORKFLOW_BUNDLE ?? process.env.GATEHOUSE_TEST_WORKFLOW_BUNDLE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    // A process that did not start is killed: left running, its pipes would keep the test file from ever exiting.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway process did not start:\n${out}`));
    }, timeoutMs);
    const check = () => {
      if (out.includes('Gatehouse is running.')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway process exited (${code}) before it started:\n${out}`));
    });
  });
  return { child, output: () => out, exited };
}

export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
