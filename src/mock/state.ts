/** Mutable per-server state: call counters and queued fault scripts. */
import { type Fault, type FaultSpec, parseFaultSpec } from './faults';

export class MockState {
  private readonly perModel = new Map<string, number>();
  private readonly queues = new Map<string, Fault[]>();
  /** Counts every chat completion request, including ones rejected before a model was known. */
  private total = 0;

  countCall(model?: string): void {
    this.total++;
    if (model !== undefined) this.perModel.set(model, (this.perModel.get(model) ?? 0) + 1);
  }

  calls(model?: string): number {
    return model === undefined ? this.total : (this.perModel.get(model) ?? 0);
  }

  stats(): { calls: Record<string, number>; total: number } {
    return { calls: Object.fromEntries(this.perModel), total: this.total };
  }

  /** Parse everything up front so a bad script fails at queue time, not mid-test. */
  queueFaults(model: string, specs: FaultSpec[]): void {
    const parsed = specs.map((s) => parseFaultSpec(s));
    const queue = this.queues.get(model) ?? [];
    queue.push(...parsed);
    this.queues.set(model, queue);
  }

  /** Next queued fault for this exact model name (as sent, suffix included), if any. */
  nextQueued(model: string): Fault | undefined {
    const queue = this.queues.get(model);
    const next = queue?.shift();
    if (queue && queue.length === 0) this.queues.delete(model);
    return next;
  }

  reset(): void {
    this.perModel.clear();
    this.queues.clear();
    this.total = 0;
  }
}
