import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { isMeaningful, type ChatChunk } from './chunks';
import type { AttemptInfo, StreamRegistry } from './registry';
import { RelayFeed, type FeedHooks } from './relayFeed';
import { RelaySeal, type RelayNames } from './relayMessage';
import { RELAY_STEP_LUA } from './relayScript';

/** A request's relay state lives this long after its last step (a try never waits longer between chunks). */
const STATE_TTL_SECONDS = 3600;
/** Steps one try may have in flight to Redis; beyond it messages are dropped (the listener sees the gap). */
const MAX_IN_FLIGHT = 256;
/** How long a front door waits for its subscription before it streams without the relay (replayed answer). */
const SUBSCRIBE_TIMEOUT_MS = 2000;
/** How long a failed try waits for its commit's verdict before it counts as not delivered. */
const VERDICT_TIMEOUT_MS = 2000;

type StepMode = 'open' | 'commit' | 'chunk' | 'finish';

/** Where front doors announce hang-ups (the request's state key): workers abort those tries at once. */
const STOP_CHANNEL = 'gatehouse:stream-stop';

interface RelayRedis extends Redis {
  relayStep(state: string, channel: string, mode: StepMode, tryKey: string, attempt: string, continues: string, message: Buffer, ttl: number): Promise<number>;
}

/**
 * The streaming side channel across processes, over Redis pub/sub: whichever worker runs a try
 * publishes its chunks; the front door holding the caller's connection feeds them into its own
 * in-process registry (src/streaming/registry.ts), so ownership, the held-back backlog, the hang-up
 * and the presenter are exactly the in-process path's. Which try the caller sees is decided once,
 * in Redis (src/streaming/relayScript.ts), by the same rule the registry applies.
 */
export class StreamRelay {
  private readonly pub: RelayRedis;
  private readonly sub?: Redis;
  private readonly feeds = new Map<string, Set<RelayFeed>>();
  /** Tries running in this process, by their request's state key (for a hang-up announced elsewhere). */
  private readonly running = new Map<string, Set<RelayAttempt>>();

  constructor(
    url: string,
    private readonly seal: RelaySeal,
    private readonly logger: Logger,
    /** `listen`: this process holds callers' connections (a front door); `work`: it runs tries (a worker). */
    private readonly opts: { listen: boolean; work?: boolean },
  ) {
    // No offline queue: while Redis is down a step fails at once and the stream is replayed instead.
    this.pub = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }) as RelayRedis;
    this.pub.defineCommand('relayStep', { numberOfKeys: 2, lua: RELAY_STEP_LUA });
    this.pub.on('error', (err: Error) => logger.debug({ err: err.message }, 'stream relay: Redis error'));
    if (opts.listen || opts.work) this.sub = this.subscriber(url);
  }

  /** Resolves once connected (or after `timeoutMs`: streams are replayed until Redis answers). */
  async ready(timeoutMs = 5000): Promise<boolean> {
    const all = [this.pub, this.sub].filter((r): r is Redis => r !== undefined);
    const one = (r: Redis) =>
      r.status === 'ready' ||
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        r.once('ready', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    const ready = (await Promise.all(all.map(one))).every(Boolean);
    // A worker hears hang-ups even while its try's upstream is silent (no step to refuse).
    if (ready && this.opts.work) await this.sub!.subscribe(STOP_CHANNEL).catch(() => {});
    return ready;
  }

  /** The worker, at the start of a streamed try: where its chunks go. */
  attempt(requestId: string, info: AttemptInfo, abort: () => void): RelayAttempt {
    const names = this.seal.names(requestId);
    const attempt = new RelayAttempt(this, this.seal, names, info, abort);
    let set = this.running.get(names.state);
    if (!set) this.running.set(names.state, (set = new Set()));
    set.add(attempt);
    return attempt;
  }

  /** @internal The try ended: no hang-up can concern it any more. */
  ended(names: RelayNames, attempt: RelayAttempt): void {
    const set = this.running.get(names.state);
    if (set?.delete(attempt) && set.size === 0) this.running.delete(names.state);
  }

  /**
   * The front door, before it starts the workflow: chunks published for this request feed the
   * registry's subscription. Undefined when Redis cannot be subscribed to in time (no live stream).
   */
  async listen(requestId: string, streams: StreamRegistry, hooks: FeedHooks): Promise<RelayFeed | undefined> {
    const names = this.seal.names(requestId);
    const feed = new RelayFeed(this.seal, names, requestId, streams, hooks, this.logger, (f) => this.unlisten(f), this);
    let set = this.feeds.get(names.channel);
    if (!set) this.feeds.set(names.channel, (set = new Set()));
    set.add(feed);
    try {
      if (!this.sub) throw new Error('this process does not listen (no HTTP)');
      await withTimeout(this.sub.subscribe(names.channel), SUBSCRIBE_TIMEOUT_MS);
      return feed;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'stream relay: cannot subscribe; this stream is replayed when complete');
      feed.close();
      return undefined;
    }
  }

  /** @internal One step of a try (see relayScript.ts). */
  step(names: RelayNames, mode: StepMode, tryKey: string, info: AttemptInfo, message: Buffer): Promise<number> {
    return this.pub.relayStep(names.state, names.channel, mode, tryKey, String(info.attempt), info.continues ? '1' : '0', message, STATE_TTL_SECONDS);
  }

  /** @internal The caller hung up: every try of the request stops publishing (and aborts upstream). */
  stop(names: RelayNames): void {
    this.pub.multi().hset(names.state, 'stopped', '1').expire(names.state, STATE_TTL_SECONDS).publish(STOP_CHANNEL, names.state).exec().catch(() => {});
  }

  /** @internal The request is over: its state goes now rather than at its TTL. */
  forget(names: RelayNames): void {
    this.pub.del(names.state).catch(() => {});
  }

  async close(): Promise<void> {
    this.sub?.disconnect();
    await this.pub.quit().catch(() => this.pub.disconnect());
  }

  private subscriber(url: string): Redis {
    const sub = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    sub.on('error', (err: Error) => this.logger.debug({ err: err.message }, 'stream relay: Redis subscriber error'));
    sub.on('messageBuffer', (channel: Buffer, frame: Buffer) => {
      const name = channel.toString();
      if (name === STOP_CHANNEL) for (const attempt of this.running.get(frame.toString()) ?? []) attempt.callerLeft();
      else for (const feed of this.feeds.get(name) ?? []) feed.onFrame(frame);
    });
    // A reconnect resubscribes, but what was published meanwhile is lost: the feeds see a gap.
    return sub;
  }

  private unlisten(feed: RelayFeed): void {
    const set = this.feeds.get(feed.names.channel);
    if (!set?.delete(feed) || set.size > 0) return;
    this.feeds.delete(feed.names.channel);
    this.sub?.unsubscribe(feed.names.channel).catch(() => {});
  }
}

/**
 * One streamed try as the worker publishes it: leading chunks are held back until one is
 * meaningful (as in-process), then sent as the commit message; every later chunk is its own step.
 * Nothing is awaited on the chunk path: steps go out in order on one connection.
 */
export class RelayAttempt {
  private readonly tryKey = randomUUID();
  private readonly held: ChatChunk[] = [];
  private released = false;
  /** Nothing more to publish: another try speaks, nobody listens, the caller left, or Redis failed. */
  private silent = false;
  private n = 0;
  private inFlight = 0;
  private verdict?: Promise<boolean>;
  private left = false;

  constructor(
    private readonly relay: StreamRelay,
    private readonly seal: RelaySeal,
    private readonly names: RelayNames,
    private readonly info: AttemptInfo,
    private readonly abort: () => void,
  ) {
    void this.run('open', Buffer.alloc(0));
  }

  push(chunk: ChatChunk): void {
    if (this.silent) return;
    if (this.released) return void this.send('chunk', [chunk]);
    this.held.push(chunk);
    if (!isMeaningful(chunk)) return;
    this.released = true;
    this.verdict = this.send('commit', this.held.splice(0)).then((seq) => seq > 0);
  }

  finish(): void {
    if (this.released && !this.silent) void this.send('finish', [], true);
  }

  /** The try is over (answered or failed): it leaves the process's list of running tries. */
  end(): void {
    this.relay.ended(this.names, this);
  }

  /** The caller hung up (announced by its front door, or a step refused): stop publishing, abort upstream once. */
  callerLeft(): void {
    this.silent = true;
    if (this.left) return;
    this.left = true;
    this.abort();
  }

  /** Did this try's chunks reach a front door as the committed try? (Then a failure cannot fail over unseen.) */
  async delivered(): Promise<boolean> {
    return this.verdict ? withTimeout(this.verdict, VERDICT_TIMEOUT_MS).catch(() => false) : false;
  }

  private send(mode: 'commit' | 'chunk' | 'finish', chunks: ChatChunk[], finish = false): Promise<number> {
    const n = this.n++;
    if (this.inFlight >= MAX_IN_FLIGHT) return Promise.resolve(0); // dropped: the listener sees the gap
    const { model, attempt, continues } = this.info;
    const message = this.seal.seal(this.names.channel, { try: this.tryKey, attempt, model, ...(continues ? { continues } : {}), n, chunks, ...(finish ? { finish } : {}) });
    return this.run(mode, message);
  }

  private async run(mode: StepMode, message: Buffer): Promise<number> {
    this.inFlight++;
    try {
      const seq = await this.relay.step(this.names, mode, this.tryKey, this.info, message);
      if (seq === -1) {
        this.callerLeft();
      } else if (seq === 0 && mode !== 'open') {
        this.silent = true;
      }
      return seq;
    } catch {
      this.silent = true; // Redis failed: the caller's answer is replayed from the workflow's result
      return 0;
    } finally {
      this.inFlight--;
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
