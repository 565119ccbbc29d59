import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KEYS, auth, hello, startTestGateway, type TestGateway } from '../helpers/gateway';
import { spawnGateway, waitFor, type GatewayProcess } from '../helpers/process';

/** Resolves with how the process ended and how long after `since` it did. */
function ended(p: GatewayProcess, since: () => number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error('already exited');
    p.child.once('exit', (code, signal) => resolve({ code, signal, ms: performance.now() - since() }));
  });
}

describe('SIGTERM always stops the process within its grace period', () => {
  let gw: TestGateway;
  const procs: GatewayProcess[] = [];
  before(async () => {
    // The workflows run in this process; the processes we signal start them or just idle.
    gw = await startTestGateway();
  });
  after(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await gw?.close();
  });

  const processEnv = (extra: NodeJS.ProcessEnv) => ({
    ...gw.env,
    GATEHOUSE_ROLE: 'worker',
    GATEHOUSE_CONFIG: gw.configFile,
    GATEHOUSE_DATA_DIR: gw.dir,
    ...extra,
  });

  it('stops gracefully and promptly when idle', async () => {
    const p = await spawnGateway(processEnv({ GATEHOUSE_SHUTDOWN_GRACE_MS: '5000' }));
    procs.push(p);
    let t0 = 0;
    const end = ended(p, () => t0);
    t0 = performance.now();
    p.child.kill('SIGTERM');
    const { code, ms } = await end;
    assert.equal(code, 0, p.output());
    assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
  });

  it('exits after the grace period when stopping hangs (the HTTP server waits for a request whose answer never comes)', async () => {
    // An HTTP-only process: closing its server waits for in-flight requests, here one whose provider call hangs.
    const p = await spawnGateway(processEnv({ GATEHOUSE_ROLE: 'http', GATEHOUSE_SHUTDOWN_GRACE_MS: '2000' }));
    procs.push(p);
    const url = /Gateway: +(http:\/\/\S+)/.exec(p.output())?.[1];
    assert.ok(url, p.output());
    gw.mock.queueFaults('mock-small', ['latency=120000']);
    const client = new AbortController();
    const pending = fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth(KEYS.support) },
      body: JSON.stringify(hello('hang on')),
      signal: client.signal,
    }).catch(() => undefined);
    await waitFor(() => gw.mock.calls('mock-small') >= 1, 15_000, 'the provider call to start');
    let t0 = 0;
    const end = ended(p, () => t0);
    t0 = performance.now();
    p.child.kill('SIGTERM');
    const { code, ms } = await end;
    assert.equal(code, 1, p.output());
    assert.ok(ms > 1500 && ms < 2000 + 3000, `took ${ms.toFixed(0)} ms\n${p.output()}`);
    assert.match(p.output(), /still stopping after 2000 ms: exiting now/);
    client.abort();
    await pending;
  });

  it('is killed by its watchdog when the event loop is stuck and cannot even run the signal handler', async () => {
    const fixture = join(__dirname, '..', 'fixtures', 'stallOnSigusr2.cjs');
    const p = await spawnGateway(processEnv({ GATEHOUSE_STALL_EXIT_MS: '1500', GATEHOUSE_NODE_FLAGS: `--require ${fixture}` }));
    procs.push(p);
    let t0 = 0;
    const end = ended(p, () => t0);
    p.child.kill('SIGUSR2'); // the main thread now spins forever
    t0 = performance.now();
    p.child.kill('SIGTERM');
    const { signal, ms } = await end;
    assert.equal(signal, 'SIGKILL');
    assert.ok(ms < 1500 + 3000, `took ${ms.toFixed(0)} ms`);
    await waitFor(() => /event loop stalled for \d+ ms; killing the process/.test(p.output()), 2000, 'the watchdog to say why');
  });
});
