/**
 * A steady, bounded load through several front doors, as a client behind a load balancer sends it:
 * round robin over the doors still up; every request carries its own Idempotency-Key, and a request
 * whose connection breaks (its door was killed) is sent again with the same key to another door,
 * which returns the one request's answer instead of running it twice.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { KEYS, auth, hello } from '../helpers/gateway';

export interface Answer {
  key: string;
  status: number;
  requestId: string | null;
  /** Sends it took (more than 1 only when a door went away mid-request). */
  sends: number;
}

export interface LoadOptions {
  doors: () => string[];
  concurrency: number;
  total: number;
  /** Called after every answer (to act once enough have arrived). */
  onAnswer?: (answers: Answer[]) => void;
}

/** Marks a door down once its connection fails, as a load balancer's health check would. */
export class Balancer {
  private next = 0;
  readonly down = new Set<string>();
  constructor(private readonly all: () => string[]) {}
  pick(): string {
    const up = this.all().filter((d) => !this.down.has(d));
    if (up.length === 0) throw new Error('no front door is up');
    return up[this.next++ % up.length]!;
  }
}

async function sendOnce(door: string, key: string, i: number): Promise<{ status: number; requestId: string | null }> {
  const res = await fetch(`${door}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key, ...auth(KEYS.support) },
    body: JSON.stringify(hello(`load ${i}`)),
  });
  await res.arrayBuffer();
  return { status: res.status, requestId: res.headers.get('x-gatehouse-request-id') };
}

async function send(lb: Balancer, i: number): Promise<Answer> {
  const key = `load-${randomUUID()}`;
  for (let sends = 1; ; sends++) {
    const door = lb.pick();
    try {
      return { key, sends, ...(await sendOnce(door, key, i)) };
    } catch (err) {
      // Only a broken connection is retried: an HTTP answer, whatever its status, is the answer.
      if (sends >= 5) throw err;
      lb.down.add(door);
    }
  }
}

/** `total` requests, `concurrency` at a time; resolves with every answer. */
export async function runLoad(o: LoadOptions): Promise<Answer[]> {
  const lb = new Balancer(o.doors);
  const answers: Answer[] = [];
  let issued = 0;
  const loop = async () => {
    while (issued < o.total) {
      const i = issued++;
      answers.push(await send(lb, i));
      o.onAnswer?.(answers);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, loop));
  return answers;
}

/** The shared ledger's rows for one caller, in one query: request id → the statuses of its rows. */
export async function ledgerRows(databaseUrl: string, caller: string): Promise<Map<string, string[]>> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ request_id: string; status: string }>('SELECT request_id, status FROM requests WHERE caller = $1', [caller]);
    const statuses = new Map<string, string[]>();
    for (const r of rows) statuses.set(r.request_id, [...(statuses.get(r.request_id) ?? []), r.status]);
    return statuses;
  } finally {
    await db.end();
  }
}

/** What one worker process did for a set of requests after a moment, from their histories. */
export interface WorkDone {
  /** Requests with a workflow task or an activity completed by it after the moment. */
  requests: number;
  /** Of which an activity (a provider call, the ledger write, …). */
  withActivity: number;
  /** Per request: its completed tasks, `identity:kind:ms after the moment` (for a failure message). */
  detail: string[];
}

/**
 * The tasks of `ids` (workflow ids) that the worker process `pid` completed at or after `sinceMs`
 * (an SDK worker's identity is `pid@host`).
 */
export async function finishedBy(address: string, namespace: string, ids: Set<string>, pid: number, sinceMs: number): Promise<WorkDone> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace });
    const done: WorkDone = { requests: 0, withActivity: 0, detail: [] };
    for (const id of ids) {
      const { events } = await client.workflow.getHandle(id).fetchHistory();
      const tasks = (events ?? []).flatMap((e) => {
        const a = e.activityTaskCompletedEventAttributes ?? e.workflowTaskCompletedEventAttributes;
        return a ? [{ identity: a.identity ?? '', activity: !!e.activityTaskCompletedEventAttributes, ms: tsToMs(e.eventTime) - sinceMs }] : [];
      });
      const mine = tasks.filter((t) => t.identity.startsWith(`${pid}@`) && t.ms >= 0);
      if (mine.length) done.requests++;
      if (mine.some((t) => t.activity)) done.withActivity++;
      done.detail.push(tasks.map((t) => `${t.identity.split('@')[0]}:${t.activity ? 'a' : 'w'}:${t.ms}`).join(' '));
    }
    return done;
  } finally {
    await connection.close();
  }
}

export interface WorkflowTally {
  completed: number;
  running: number;
  other: number;
}

/** `aiRequest` workflows on one task queue by status, through SQL visibility (polled until settled). */
export async function workflowTally(address: string, namespace: string, taskQueue: string, expected: number): Promise<WorkflowTally> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace });
    const count = async (extra: string) => (await client.workflow.count(`WorkflowType = "aiRequest" AND TaskQueue = "${taskQueue}"${extra}`)).count;
    let last: WorkflowTally = { completed: -1, running: -1, other: -1 };
    // Visibility is written after the fact: wait until the completions have all arrived (or give up and report).
    for (const until = Date.now() + 60_000; Date.now() < until; ) {
      const [all, completed, running] = await Promise.all([count(''), count(' AND ExecutionStatus = "Completed"'), count(' AND ExecutionStatus = "Running"')]);
      last = { completed, running, other: all - completed - running };
      if (running === 0 && completed >= expected) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    return last;
  } finally {
    await connection.close();
  }
}
