/**
 * CPU% and RSS of the gateway, its Temporal dev server and the mock while a cell runs, sampled
 * with pidusage every 500 ms. CPU% is per core (200% = both cores of a 2-core machine).
 */
import pidusage from 'pidusage';
import { round } from './load';

export interface ProcessUsage {
  process: string;
  pid: number;
  samples: number;
  avgCpu: number;
  maxCpu: number;
  maxRssMb: number;
}

interface Series {
  pid: number;
  cpu: number[];
  rss: number[];
}

export class ResourceSampler {
  private readonly series = new Map<string, Series>();
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();
  /** The bench itself (autocannon) shares the cores: its CPU shows how much the gateway had to compete with. */
  private ownCpu = process.cpuUsage();
  private ownStart = performance.now();

  constructor(
    pids: Record<string, number | undefined>,
    private readonly intervalMs = 500,
  ) {
    for (const [name, pid] of Object.entries(pids)) if (pid !== undefined) this.series.set(name, { pid, cpu: [], rss: [] });
  }

  /** The first pidusage call only primes its per-pid history (CPU% is a delta), so it is dropped. */
  async start(): Promise<void> {
    await this.sample(false);
    this.ownCpu = process.cpuUsage();
    this.ownStart = performance.now();
    this.timer = setInterval(() => {
      this.pending = this.pending.then(() => this.sample(true));
    }, this.intervalMs);
  }

  async stop(): Promise<ProcessUsage[]> {
    if (this.timer) clearInterval(this.timer);
    // No extra sample for the tail: over a few ms, 10 ms clock ticks turn into CPU% far above 100 × cores.
    await this.pending;
    return [...[...this.series].map(([name, s]) => summarize(name, s)), this.ownUsage()];
  }

  private ownUsage(): ProcessUsage {
    const used = process.cpuUsage(this.ownCpu);
    const cpu = round(((used.user + used.system) / 1000 / (performance.now() - this.ownStart)) * 100, 1);
    const rss = round(process.memoryUsage().rss / 1024 / 1024, 1);
    return { process: 'bench (load gen)', pid: process.pid, samples: 1, avgCpu: cpu, maxCpu: NaN, maxRssMb: rss };
  }

  /** One pid at a time: pidusage keeps the system uptime in module state that concurrent calls race on. */
  private async sample(keep: boolean): Promise<void> {
    for (const s of this.series.values()) {
      try {
        const st = await pidusage(s.pid);
        if (!keep) continue;
        s.cpu.push(st.cpu);
        s.rss.push(st.memory);
      } catch {
        // the process is gone (e.g. crashed under load): its series just stops
      }
    }
  }
}

function summarize(name: string, s: Series): ProcessUsage {
  const sum = s.cpu.reduce((a, b) => a + b, 0);
  return {
    process: name,
    pid: s.pid,
    samples: s.cpu.length,
    avgCpu: s.cpu.length ? round(sum / s.cpu.length, 1) : NaN,
    maxCpu: s.cpu.length ? round(Math.max(...s.cpu), 1) : NaN,
    maxRssMb: s.rss.length ? round(Math.max(...s.rss) / 1024 / 1024, 1) : NaN,
  };
}

/** pidusage keeps a history-expiry timer per pid; clearing it lets the bench exit on its own. */
export function releaseSampler(): void {
  pidusage.clear();
}
