import { createHash, randomBytes } from 'node:crypto';
import { durationFromEnv } from '../config/duration';

/**
 * The console's sessions: an opaque random id (the cookie) → the staff key it was exchanged for.
 * The key stays in this process's memory only (never in the page, the cookie, a log or a file): the
 * guard authenticates it again on every request, so a key removed from the config or a role taken
 * away ends its sessions at once. Sessions expire after `idleMs` without use and at `maxMs` in any
 * case; at most `maxSessions` are kept (the oldest goes first). In memory per process: a console
 * behind several gateway processes needs sticky sessions, or a sign-in per process.
 */
export interface SessionOptions {
  idleMs?: number;
  maxMs?: number;
  maxSessions?: number;
  now?: () => number;
}

/**
 * Lifetimes from the environment: GATEHOUSE_CONSOLE_IDLE_TIMEOUT (default 30m) and
 * GATEHOUSE_CONSOLE_SESSION_MAX (default 8h), as durations ("15m", "12h"). A bad value stops the start.
 */
export function sessionOptionsFrom(env: NodeJS.ProcessEnv): SessionOptions {
  const read = (name: string) => durationFromEnv(env, name, 60_000, 'at least a minute ("30m", "8h")');
  return { idleMs: read('GATEHOUSE_CONSOLE_IDLE_TIMEOUT'), maxMs: read('GATEHOUSE_CONSOLE_SESSION_MAX') };
}

interface Session {
  credential: string;
  createdAt: number;
  lastSeen: number;
}

export const SESSION_COOKIE = 'gatehouse_console';
export const DEFAULT_IDLE_MS = 30 * 60_000;
export const DEFAULT_MAX_MS = 8 * 3600_000;

export class SessionStore {
  /** The cookie that carries the id (read by the guard). */
  readonly cookie = SESSION_COOKIE;
  /** Keyed by the id's hash: a heap dump or a timing probe never yields a usable cookie. */
  private readonly sessions = new Map<string, Session>();
  readonly idleMs: number;
  readonly maxMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(opts: SessionOptions = {}) {
    this.idleMs = opts.idleMs ?? DEFAULT_IDLE_MS;
    this.maxMs = opts.maxMs ?? DEFAULT_MAX_MS;
    this.maxSessions = opts.maxSessions ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  /** A new session for this (already authenticated) key; returns its id, the cookie's value. */
  create(credential: string): string {
    this.sweep();
    if (this.sessions.size >= this.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    const at = this.now();
    this.sessions.set(digest(id), { credential, createdAt: at, lastSeen: at });
    return id;
  }

  /** The key of a live session (and its idle clock restarts), else undefined (expired ones are dropped). */
  credential(id: string | undefined): string | undefined {
    if (!id) return undefined;
    const key = digest(id);
    const s = this.sessions.get(key);
    if (!s) return undefined;
    const at = this.now();
    if (this.expired(s, at)) {
      this.sessions.delete(key);
      return undefined;
    }
    s.lastSeen = at;
    return s.credential;
  }

  /** Sign-out. */
  delete(id: string | undefined): void {
    if (id) this.sessions.delete(digest(id));
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Drops expired sessions (at each sign-in: memory stays bounded without a timer). */
  private sweep(): void {
    const at = this.now();
    for (const [key, s] of this.sessions) if (this.expired(s, at)) this.sessions.delete(key);
  }

  private expired(s: Session, at: number): boolean {
    return at - s.lastSeen >= this.idleMs || at - s.createdAt >= this.maxMs;
  }
}

function digest(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}
