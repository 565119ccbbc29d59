import { isMeaningful, type ChatChunk } from './chunks';

/**
 * The streaming side channel, in-process: the HTTP handler that holds a caller's SSE response
 * subscribes by request id; the provider activity (same process) opens one `AttemptStream` per try
 * and pushes chunks into it as they arrive from upstream. Across processes the relay
 * (src/streaming/relay.ts) opens and feeds the tries here instead, so this stays the one place the
 * caller's end of every stream is decided.
 *
 * The rule that keeps streams honest: an attempt holds back its leading chunks until one shows the
 * caller something (content, a tool call, a refusal, a finish). Until then the attempt is not
 * *committed* and may fail over unseen; once committed, it alone speaks to the caller, and if it
 * dies the caller gets an error event, never a second answer spliced onto the first. The one
 * exception is a *continuation* (src/streaming/continuation.ts): a try asked to continue exactly the
 * text the committed one delivered takes over the stream once it shows something, and its chunks
 * follow the delivered ones: one answer, not two.
 *
 * And the rule that keeps streams private: a subscription sees nothing and aborts nothing until its
 * HTTP handler confirms that its own call started the workflow (see `Subscription.confirm`).
 */
export interface AttemptInfo {
  /** Gateway model name of this attempt. */
  model: string;
  /** The workflow's try counter: distinguishes attempts of one request. */
  attempt: number;
  /** This try continues the text the committed (broken) try delivered: it may take over the stream. */
  continues?: boolean;
}

export interface StreamTarget {
  /** A released chunk, with the attempt it belongs to (always the committed one). */
  chunk(chunk: ChatChunk, from: AttemptInfo): void;
}

interface Entry {
  /** Subscriptions waiting to learn whether their call started the request (at most one will). */
  claims: Set<Subscription>;
  /** The subscription whose call started the request: the only one that gets chunks or may abort. */
  owner?: Subscription;
  /** Chunks of the committed try released before the owner was known, delivered once it is. */
  backlog: Array<[ChatChunk, AttemptInfo]>;
  /** A chunk reached an owner's target (the caller may have seen this try). */
  shown: boolean;
  current?: AttemptStream;
  committed?: AttemptStream;
}

export class StreamRegistry {
  private readonly entries = new Map<string, Entry>();

  /**
   * The HTTP handler, before it starts the workflow. A subscription only *claims* the request: it
   * gets nothing (chunks are held back) until `confirm()`, which the handler calls once the starter
   * reports that this call created the workflow. A rejoin never confirms, so it never sees another
   * call's chunks nor aborts its try; it replays the finished answer instead.
   */
  subscribe(requestId: string, target: StreamTarget): Subscription {
    let entry = this.entries.get(requestId);
    if (!entry) {
      entry = { claims: new Set(), backlog: [], shown: false };
      this.entries.set(requestId, entry);
    }
    const sub = new Subscription(this, requestId, entry, target);
    entry.claims.add(sub);
    return sub;
  }

  /**
   * The provider activity, at the start of a try. `abort` stops that try's upstream call (the
   * caller went away). Without a subscriber here, chunks go nowhere and the try never commits.
   */
  open(requestId: string, info: AttemptInfo, abort: () => void): AttemptStream {
    const entry = this.entries.get(requestId);
    // A request already committed to an earlier try must not show a second one (e.g. a retry after a
    // lost worker): this try streams to no one, and the caller's end decides from the committed one.
    // A continuation of a broken committed try is the exception: it carries on that try's text.
    const live = entry && (!entry.committed || mayTakeOver(entry.committed, info)) ? entry : undefined;
    const stream = new AttemptStream(info, live, abort);
    if (entry) entry.current = stream;
    return stream;
  }

  /** @internal */
  entry(requestId: string, e: Entry): Entry | undefined {
    return this.entries.get(requestId) === e ? e : undefined;
  }

  /** @internal */
  remove(requestId: string, e: Entry): void {
    if (this.entries.get(requestId) === e) this.entries.delete(requestId);
  }

  /** Requests with a live or pending subscriber (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }
}

export class Subscription {
  private closed = false;

  constructor(
    private readonly registry: StreamRegistry,
    private readonly requestId: string,
    private readonly e: Entry,
    /** @internal */
    readonly target: StreamTarget,
  ) {}

  /**
   * Ownership proven (this call started the workflow): from now on this subscription gets the
   * committed try's chunks, those held back first. False if it cannot be live (closed, or another
   * subscription already owns the request).
   */
  confirm(): boolean {
    if (this.closed || this.e.owner || !this.registry.entry(this.requestId, this.e)) return false;
    this.e.owner = this;
    this.e.claims.delete(this);
    for (const [chunk, from] of this.e.backlog.splice(0)) show(this.e, chunk, from);
    return true;
  }

  /** True once confirmed: a subscriber that is not live gets no chunks and must replay the answer. */
  get live(): boolean {
    return this.e.owner === this && !this.closed;
  }

  /** The try whose chunks reached the caller, if any. */
  get committed(): AttemptStream | undefined {
    return this.live ? this.e.committed : undefined;
  }

  /** The caller went away: stop the running try's upstream call now (the workflow is cancelled too). Owner only. */
  abortRunning(): void {
    if (this.live && this.registry.entry(this.requestId, this.e)) this.e.current?.abortUpstream();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.e.claims.delete(this);
    if (this.e.owner === this || (!this.e.owner && this.e.claims.size === 0)) {
      this.e.backlog.length = 0;
      this.registry.remove(this.requestId, this.e);
    }
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

  /**
   * Did (or may) any chunk of this try reach the caller? Then its failure can no longer fail over
   * unseen. Held-back chunks count while a subscriber may still be confirmed.
   */
  get delivered(): boolean {
    const e = this.entry;
    return e?.committed === this && (e.shown || e.claims.size > 0 || e.owner?.live === true);
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
    const e = this.entry;
    if (e && e.current === this && (!e.committed || mayTakeOver(e.committed, this.info))) e.committed = this;
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
    if (this.entry?.committed === this) show(this.entry, chunk, this.info);
  }
}

/** A continuation takes over from a committed try that broke (never from one that finished). */
function mayTakeOver(committed: AttemptStream, next: AttemptInfo): boolean {
  return next.continues === true && !committed.finished && committed.info.attempt !== next.attempt;
}

/** To the confirmed owner; held back while subscriptions still wait for the start; else nowhere. */
function show(e: Entry, chunk: ChatChunk, from: AttemptInfo): void {
  if (e.owner) {
    if (!e.owner.live) return;
    e.shown = true;
    e.owner.target.chunk(chunk, from);
  } else if (e.claims.size > 0) {
    e.backlog.push([chunk, from]);
  }
}
