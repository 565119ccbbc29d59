/**
 * Per-model circuit breakers, shared by every workflow in one worker: closed → open after
 * `failureThreshold` failures within `windowMs` → after `coolDownMs` one probe is let through
 * (half-open) → closed again on its success, open again on its failure. Pure state with an
 * injectable clock; the provider activity feeds it, the planner reads it.
 */
export interface BreakerOptions {
  failureThreshold: number;
  windowMs: number;
  coolDownMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { failureThreshold: 5, windowMs: 30_000, coolDownMs: 10_000 };

type State = { kind: 'closed'; failures: number[] } | { kind: 'open'; since: number } | { kind: 'half-open'; probeAt: number };

export class CircuitBreakers {
  private readonly states = new Map<string, State>();
  /** Models whose provider refused an assistant prefill: not asked to continue a stream until restart. */
  private readonly noPrefill = new Set<string>();

  constructor(private readonly opts: BreakerOptions = DEFAULT_BREAKER) {}

  /** May a call go to this model now? In half-open, only one probe per cool-down is let through. */
  isAvailable(model: string, now: number): boolean {
    const s = this.states.get(model);
    if (!s || s.kind === 'closed') return true;
    if (s.kind === 'open') {
      if (now - s.since < this.opts.coolDownMs) return false;
      this.states.set(model, { kind: 'half-open', probeAt: now });
      return true;
    }
    // A probe that never reported back (worker died) must not keep the model dark forever.
    if (now - s.probeAt >= this.opts.coolDownMs) {
      this.states.set(model, { kind: 'half-open', probeAt: now });
      return true;
    }
    return false;
  }

  recordSuccess(model: string, _now: number): void {
    this.states.set(model, { kind: 'closed', failures: [] });
  }

  recordFailure(model: string, now: number): void {
    const s = this.states.get(model) ?? { kind: 'closed', failures: [] };
    if (s.kind !== 'closed') {
      this.states.set(model, { kind: 'open', since: now });
      return;
    }
    const failures = [...s.failures.filter((t) => now - t < this.opts.windowMs), now];
    this.states.set(model, failures.length >= this.opts.failureThreshold ? { kind: 'open', since: now } : { kind: 'closed', failures });
  }

  recordPrefillRefused(model: string): void {
    this.noPrefill.add(model);
  }

  refusesPrefill(model: string): boolean {
    return this.noPrefill.has(model);
  }

  /** For logs and the admin view. */
  stateOf(model: string): State['kind'] {
    return this.states.get(model)?.kind ?? 'closed';
  }
}
