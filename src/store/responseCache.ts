import Database from 'better-sqlite3';
import type Redis from 'ioredis';
import type { ChatCompletion } from '../config/api';
import { privateFile } from './privateFiles';

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

const SCHEMA = `CREATE TABLE IF NOT EXISTS response_cache (
  key TEXT PRIMARY KEY,
  entry TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS response_cache_expiry ON response_cache(expires_at);`;

/** How many expired rows one put removes at most: pruning stays a small, bounded step. */
const PRUNE_BATCH = 100;

export class SqliteResponseCache implements ResponseCacheStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    privateFile(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  async get(key: string, now = Date.now()): Promise<CacheEntry | undefined> {
    const row = this.db.prepare('SELECT entry FROM response_cache WHERE key = ? AND expires_at > ?').get(key, now) as { entry: string } | undefined;
    return row ? (JSON.parse(row.entry) as CacheEntry) : undefined;
  }

  async put(key: string, entry: CacheEntry, ttlMs: number): Promise<void> {
    const text = JSON.stringify(entry);
    if (Buffer.byteLength(text) > MAX_ENTRY_BYTES) return;
    const now = entry.storedAt;
    this.db.prepare('INSERT INTO response_cache (key, entry, expires_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET entry = excluded.entry, expires_at = excluded.expires_at').run(key, text, now + ttlMs);
    this.db.prepare(`DELETE FROM response_cache WHERE key IN (SELECT key FROM response_cache WHERE expires_at <= ? LIMIT ${PRUNE_BATCH})`).run(now);
  }

  async close(): Promise<void> {
    this.db.close();
  }
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

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
