import { Gauge, type Registry } from 'prom-client';
import type { BudgetLeft } from '../limits/budget';
import { NONE, bounded, type KnownNames } from './labels';

const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;
/** A visibility count that takes longer than this leaves the gauge empty for this scrape. */
const COUNT_TIMEOUT_MS = 2_000;

export type { BudgetLeft };

/** Where scrape-time gauges read from; each may be absent (that gauge then has no values). */
export interface GaugeSources {
  known: () => KnownNames;
  routeTableVersion?: () => number;
  breakers?: () => { stateOf(model: string): string } | undefined;
  /** Held requests of one route on this gateway's task queue (a Temporal visibility count). */
  reviewsPending?: () => ((route: string) => Promise<number>) | undefined;
  budgets?: () => Promise<BudgetLeft[]>;
}

/**
 * Gauges read at scrape time, not kept up to date by events: the breakers, the route-table
 * version, reviews waiting (counted in Temporal visibility per route), budgets left (from the
 * budget store). Labels are config names only.
 */
export function registerScrapeGauges(registry: Registry, s: GaugeSources): void {
  const registers = [registry];
  new Gauge({
    name: 'gatehouse_breaker_state',
    help: 'Circuit breaker of each configured model: 1 for its current state (closed, open, half-open), else 0',
    labelNames: ['model', 'state'],
    registers,
    collect() {
      this.reset();
      const breakers = s.breakers?.();
      if (!breakers) return;
      for (const model of s.known().models) {
        const now = breakers.stateOf(model);
        for (const state of BREAKER_STATES) this.set({ model, state }, state === now ? 1 : 0);
      }
    },
  });
  new Gauge({ name: 'gatehouse_route_table_version', help: 'Version of the live route table', registers, collect() { if (s.routeTableVersion) this.set(s.routeTableVersion()); } });
  new Gauge({
    name: 'gatehouse_reviews_pending',
    help: 'Requests held for a human review now, per route that can hold (Temporal visibility, this task queue)',
    labelNames: ['route'],
    registers,
    async collect() {
      this.reset();
      const count = s.reviewsPending?.();
      if (!count) return;
      const routes = s.known().holding; // one visibility count each; routes that never hold are never asked
      const counts = await withTimeout(Promise.all(routes.map((r) => count(r))), COUNT_TIMEOUT_MS).catch(() => undefined);
      counts?.forEach((n, i) => this.set({ route: routes[i]! }, n));
    },
  });
  new Gauge({
    name: 'gatehouse_budget_remaining_usd',
    help: 'USD left of each configured budget (caller or team, day or month) now: limit minus spent and reserved',
    labelNames: ['scope', 'name', 'period'],
    registers,
    async collect() {
      this.reset();
      const known = s.known();
      // A slow or unreachable database leaves the gauge empty for this scrape, never fails it.
      const left = s.budgets ? await withTimeout(s.budgets(), COUNT_TIMEOUT_MS).catch(() => []) : [];
      for (const b of left) {
        const name = bounded(b.name, b.scope === 'caller' ? known.callers : known.teams);
        if (name !== NONE) this.set({ scope: b.scope, name, period: b.period }, b.remainingUsd);
      }
    },
  });
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new Error('timed out')), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
