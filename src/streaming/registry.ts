import { isMeaningful, type ChatChunk } from './chunks';

/**
 * The streaming side channel, in-process: the HTTP handler that holds a caller's SSE response
 * subscribes by request id; the provider activity (same process) opens one `AttemptStream` per try
 * and pushes chunks into it as they arrive from upstream.
 *
 * The rule that keeps streams honest: an attempt holds back its leading chunks until one shows the
 * caller something (content, a tool call, a refusal, a finish). Until then the attempt is not
 * *committed* and may fail over unseen; once committed, it alone speaks to the caller, and if it
 * dies the caller gets an error event, never a second answer spliced onto the first.
 */
export interface AttemptInfo {
  /** Gateway model name of this attempt. */
  model: string;
  /** The workflow's try counter: distinguishes attempts of one request. */
  attempt: number;
}

export interface StreamTarget {
  /** A released chunk, with the attempt it belongs to (always the committed one). */
  chunk(chunk: ChatChunk, from: AttemptInfo): void;
}

interface Entry {
  target: StreamTarget;
  current?: AttemptStream;
  committed?: AttemptStream;
}

export class StreamRegistry {
  private readonly entries = new Map<string, Entry>();

  /**
   * The HTTP handler, before it starts the workflow. Only the first subscriber of a request gets
   * live chunks (a repeat with the same idempotency key replays the finished answer instead).
   */
  subscribe(requestId: string, target: StreamTarget): Subscription {
    if (this.entries.has(requestId)) return new Subscription(this, requestId, undefined);
    const entry: Entry = { target };
    this.entries.set(requestId, entry);
    return new Subscription(this, requestId, entry);
  }

  /**
   * The provider activity, at the start of a try. `abort` stops that try's upstream call (the
   * caller went away). Without a live subscriber here, chunks go nowhere and the try never commits.
   */
  open(requestId: string, info: AttemptInfo, abort: () => void): AttemptStream {
    const entry = this.entries.get(requestId);
    // A request already committed to an earlier try must not show a second one (e.g. a retry after a
    // lost worker): this try streams to no one, and the caller's end decides from the committed one.
    const live = entry && !entry.committed ? entry : undefined;
    const stream = new AttemptStream(info, live, abort);
    if (entry) entry.current = stream;
    return stream;
  }

  /** @internal */
  entry(requestId: string, owner: Entry): Entry | undefined {
    return this.entries.get(requestId) === owner ? owner : undefined;
  }

  /** @internal */
  remove(requestId: string, owner: Entry): void {
    if (this.entries.get(requestId) === owner) this.entries.delete(requestId);
  }

  /** Requests with a live subscriber (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }
}

export class Subscription {
  constructor(
    private readonly registry: StreamRegistry,
    private readonly requestId: string,
    private readonly owner: Entry | undefined,
  ) {}

  /** False for a late subscriber: it gets no live chunks and must replay the final answer. */
  get live(): boolean {
    return this.owner !== undefined;
  }

  /** The try whose chunks reached the caller, if any. */
  get committed(): AttemptStream | undefined {
    return this.owner?.committed;
  }

  /** The caller went away: stop the running try's upstream call now (the workflow is cancelled too). */
  abortRunning(): void {
    const entry = this.owner && this.registry.entry(this.requestId, this.owner);
    entry?.current?.abortUpstream();
  }

  close(): void {
    if (this.owner) this.registry.remove(this.requestId, this.owner);
  }
}

export class AttemptStream {
  private readonly held: ChatChunk[] = [];
  private released = false;
  private done = false;

  constructor(
    readonly info: AttemptInfo,
    private readonly entry: Entry | undefined,
    private readonly abort: () => void,
  ) {}

  /** Did any chunk of this try reach the caller? Then its failure can no longer fail over unseen. */
  get delivered(): boolean {
    return this.entry?.committed === this;
  }

  /** The try returned its whole answer (the caller may get `[DONE]`). */
  get finished(): boolean {
    return this.done;
  }

  push(chunk: ChatChunk): void {
    if (this.released) return this.deliver(chunk);
    this.held.push(chunk);
    if (!isMeaningful(chunk)) return;
    this.released = true;
    if (this.entry && this.entry.current === this && !this.entry.committed) this.entry.committed = this;
    for (const c of this.held.splice(0)) this.deliver(c);
  }

  finish(): void {
    this.done = true;
  }

  /** @internal */
  abortUpstream(): void {
    if (!this.done) this.abort();
  }

  private deliver(chunk: ChatChunk): void {
    if (this.entry?.committed === this) this.entry.target.chunk(chunk, this.info);
  }
}
