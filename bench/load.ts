/**
 * Load: autocannon for latency and throughput cells, and a plain fetch loop for streaming
 * time-to-first-byte (autocannon only times whole responses).
 */
import autocannon from 'autocannon';

export interface Target {
  /** 'direct' (the mock itself), 'gateway' (ours) or 'peer' (--target). */
  name: string;
  /** Full chat completions URL. */
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export interface CellStats {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
  rps: number;
  ok2xx: number;
  non2xx: number;
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
  total: number;
  durationS: number;
  statusCodes: Record<string, number>;
}

/** Sees every response of a run: the gateway cells use it to collect request ids for the ledger check. */
export type ResponseHook = (status: number, headers: Record<string, string | string[] | undefined>) => void;

export async function runLoad(t: Target, connections: number, seconds: number, hook?: ResponseHook): Promise<CellStats> {
  const url = new URL(t.url);
  const headers = { 'content-type': 'application/json', ...t.headers };
  const request: autocannon.Request = { method: 'POST', path: url.pathname, headers, body: JSON.stringify(t.body) };
  // Only with a hook: onResponse makes autocannon keep every body, which costs load-generator CPU.
  if (hook) request.onResponse = (status, _body, _ctx, h) => hook(status, h as Record<string, string | undefined>);
  const result = await autocannon({
    url: url.origin,
    connections,
    duration: seconds,
    timeout: 30, // the route's own provider timeout; slower answers count as errors
    requests: [request],
  });
  return toStats(result);
}

function toStats(r: autocannon.Result): CellStats {
  // With no answer at all autocannon reports 0 ms percentiles; "no data" must not read as "fast".
  const none = r['2xx'] + r.non2xx === 0;
  const ms = (v: number) => (none ? NaN : v);
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = s.count ?? 0;
  return {
    p50: ms(r.latency.p50),
    p90: ms(r.latency.p90),
    p99: ms(r.latency.p99),
    mean: ms(round(r.latency.mean)),
    max: ms(r.latency.max),
    rps: round(r.requests.average),
    ok2xx: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    total: r['2xx'] + r.non2xx,
    durationS: r.duration,
    statusCodes,
  };
}

/**
 * Warm-up with plain fetch loops rather than autocannon: autocannon abandons whatever is in flight
 * when its clock runs out, and a slow gateway would still be working on those requests during the
 * measurement. Here each loop stops starting requests at the deadline and waits for its last answer.
 */
export async function warmUp(t: Target, connections: number, seconds: number, hook?: ResponseHook): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  const body = JSON.stringify(t.body);
  const headers = { 'content-type': 'application/json', ...t.headers };
  let answered = 0;
  const loop = async () => {
    while (Date.now() < deadline) {
      try {
        const res = await fetch(t.url, { method: 'POST', headers, body });
        await res.arrayBuffer();
        answered++;
        hook?.(res.status, { 'x-gatehouse-request-id': res.headers.get('x-gatehouse-request-id') ?? undefined });
      } catch {
        // a warm-up error shows again in the measured cell, where it counts
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  return answered;
}

export interface TtfbStats {
  supported: true;
  samples: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
}

export type TtfbResult = TtfbStats | { supported: false; reason: string };

const TTFB_WARMUP = 3; // first requests open connections; not what we measure

/**
 * c=1 loop of `stream: true` requests: time from sending to the first body chunk. A 400
 * `streaming_not_supported` (the gateway before streaming lands) is a result, not a failure.
 */
export async function runTtfb(t: Target, samples: number, onOk?: (requestId: string | undefined) => void): Promise<TtfbResult> {
  const times: number[] = [];
  let errors = 0;
  for (let i = 0; i < samples + TTFB_WARMUP; i++) {
    const one = await streamOnce(t);
    if ('unsupported' in one) return { supported: false, reason: one.unsupported };
    if ('error' in one) {
      errors++;
      if (errors > samples) return { supported: false, reason: `every request failed: ${one.error}` };
      continue;
    }
    onOk?.(one.requestId);
    if (i >= TTFB_WARMUP) times.push(one.ms);
  }
  return { supported: true, samples: times.length, p50: pct(times, 50), p90: pct(times, 90), p99: pct(times, 99), errors };
}

type StreamOutcome = { ms: number; requestId?: string } | { unsupported: string } | { error: string };

async function streamOnce(t: Target): Promise<StreamOutcome> {
  const body = JSON.stringify({ ...t.body, stream: true });
  const start = performance.now();
  let res: Response;
  try {
    res = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', ...t.headers }, body });
  } catch (err) {
    return { error: String(err) };
  }
  if (res.status === 400) {
    const text = await res.text();
    if (text.includes('streaming_not_supported')) return { unsupported: 'not supported yet (400 streaming_not_supported)' };
    return { error: `400 ${text.slice(0, 200)}` };
  }
  if (!res.ok || !res.body) return { error: `${res.status} ${(await res.text()).slice(0, 200)}` };
  if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    await res.text();
    return { unsupported: `answered stream: true without SSE (content-type ${res.headers.get('content-type')})` };
  }
  const reader = res.body.getReader();
  const first = await reader.read();
  const ms = performance.now() - start;
  // Drain the rest so the keep-alive connection is reused, as a real client would.
  for (let r = first; !r.done; r = await reader.read());
  return { ms: round(ms), requestId: res.headers.get('x-gatehouse-request-id') ?? undefined };
}

/** Nearest-rank percentile. */
export function pct(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] ?? NaN;
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
