import type Redis from 'ioredis';
import type { ChatCompletion } from '../config/api';
import type { Db } from '../db';

/** One cached answer: the completion as the caller got it, and what it cost to make (for the saved cost). */
export interface CacheEntry {
  completion: ChatCompletion;
  model: string;
  /** Provider kind + upstream that made it: the saved cost is priced as they were. */
  pricedAs?: { providerKind: string; upstream: string };
  storedAt: number;
}

/** Where cached answers live: SQLite by default, Redis when configured. Entries expire on their own. */
export interface ResponseCacheStore {
  get(key: string, now?: number): Promise<CacheEntry | undefined>;
  put(key: string, entry: CacheEntry, ttlMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Answers larger than this are not kept: a cache is for the many small repeats, not for bulk. */
export const MAX_ENTRY_BYTES = 1_000_000;

/** How many expired rows one put removes at most: pruning stays a small, bounded step. */
const PRUNE_BATCH = 100;

/** In the process's database (`response_cache`, migration 8): SQLite by default, PostgreSQL with DATABASE_URL. */
export class DbResponseCache implements ResponseCacheStore {
  constructor(private readonly db: Db) {}

  async get(key: string, now = Date.now()): Promise<CacheEntry | undefined> {
    const row = await this.db.get<{ entry: string }>('SELECT entry FROM response_cache WHERE key = ? AND expires_at > ?', [key, now]);
    return row ? (JSON.parse(row.entry) as CacheEntry) : undefined;
  }

  async put(key: string, entry: CacheEntry, ttlMs: number): Promise<void> {
    const text = JSON.stringify(entry);
    if (Buffer.byteLength(text) > MAX_ENTRY_BYTES) return;
    const now = entry.storedAt;
    await this.db.run('INSERT INTO response_cache (key, entry, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET entry = excluded.entry, expires_at = excluded.expires_at', [key, text, now + ttlMs]);
    await this.db.run(`DELETE FROM response_cache WHERE key IN (SELECT key FROM response_cache WHERE expires_at <= ? LIMIT ${PRUNE_BATCH})`, [now]);
  }

  /** The database is the process's (closed by its owner). */
  async close(): Promise<void> {}
}

const REDIS_PREFIX = 'gatehouse:cache:';

/** Shared by every process on the same Redis; Redis expires the keys itself (PX). */
export class RedisResponseCache implements ResponseCacheStore {
  constructor(private readonly redis: Redis) {}

  async get(key: string): Promise<CacheEntry | undefined> {
    const text = await this.redis.get(REDIS_PREFIX + key);
    return text ? (JSON.parse(text) as CacheEntry) : undefined;
  }

  async put(key: string, entry: CacheEntry, ttlMs: number): Promise<void> {
    const text = JSON.stringify(entry);
    if (Buffer.byteLength(text) > MAX_ENTRY_BYTES) return;
    await this.redis.set(REDIS_PREFIX + key, text, 'PX', Math.max(1, Math.round(ttlMs)));
  }

  /** The connection is the worker's (closed by its owner). */
  async close(): Promise<void> {}
}
