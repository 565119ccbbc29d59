import type { DeploymentLoad } from '../routing/deployments';

const MINUTE_MS = 60_000;
/** Weight of the newest latency in the moving average (about the last ten calls count). */
const EWMA_ALPHA = 0.2;

/** Where in-flight counts are shared across processes (src/balance/redisInFlight.ts); absent: this process only. */
export interface SharedInFlight {
  started(key: string, callId: string): void;
  finished(key: string, callId: string): void;
  /** The last count read for the key (refreshed in the background); undefined before the first read. */
  count(key: string): number | undefined;
}

/** The last minute's events: a call started (`request`) or a call's tokens, counted when its usage is known. */
interface Window {
  events: Array<{ at: number; requests: number; tokens: number }>;
  requests: number;
  tokens: number;
}

/**
 * A deployment's recent load as this process saw it: calls in flight, a moving average of latency,
 * and the requests and tokens started in the last minute (for `rpm`/`tpm` capacity). Read by the
 * planner through `load(key)`; fed by the provider-call activities.
 */
export class DeploymentLoadTracker {
  private readonly inFlight = new Map<string, number>();
  private readonly latency = new Map<string, number>();
  private readonly windows = new Map<string, Window>();

  constructor(private readonly shared?: SharedInFlight) {}

  started(key: string, callId: string, now = Date.now()): void {
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    this.count(key, now, 1, 0);
    this.shared?.started(key, callId);
  }

  /** `latencyMs` and `tokens` only for an answered call: a failure's latency says nothing about speed. */
  finished(key: string, callId: string, answered?: { latencyMs: number; tokens: number }, now = Date.now()): void {
    this.inFlight.set(key, Math.max(0, (this.inFlight.get(key) ?? 0) - 1));
    if (answered) {
      this.count(key, now, 0, answered.tokens);
      const latencyMs = answered.latencyMs;
      const prev = this.latency.get(key);
      this.latency.set(key, prev === undefined ? latencyMs : prev + EWMA_ALPHA * (latencyMs - prev));
    }
    this.shared?.finished(key, callId);
  }

  load(key: string, now = Date.now()): DeploymentLoad {
    const w = this.window(key, now);
    const local = this.inFlight.get(key) ?? 0;
    return { inFlight: this.shared?.count(key) ?? local, latencyMs: this.latency.get(key), rpm: w.requests, tpm: w.tokens };
  }

  private count(key: string, now: number, requests: number, tokens: number): void {
    const w = this.window(key, now);
    w.events.push({ at: now, requests, tokens });
    w.requests += requests;
    w.tokens += tokens;
  }

  /** The key's last-minute window with older events dropped (each is dropped once: amortized O(1)). */
  private window(key: string, now: number): Window {
    let w = this.windows.get(key);
    if (!w) this.windows.set(key, (w = { events: [], requests: 0, tokens: 0 }));
    let drop = 0;
    while (drop < w.events.length && w.events[drop]!.at <= now - MINUTE_MS) {
      w.requests -= w.events[drop]!.requests;
      w.tokens -= w.events[drop++]!.tokens;
    }
    if (drop) w.events.splice(0, drop);
    return w;
  }
}
