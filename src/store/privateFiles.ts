import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The data dir holds the ledger (who asked what, at what cost), Temporal's history database, the
 * codec and demo keys: only the gateway's own user may read any of it. Directories are 0700, files
 * 0600. SQLite creates a database's -wal and -shm with the database file's own mode, so creating
 * the database file 0600 before SQLite opens it covers its companions too.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** The process umask for `gatehouse start`: whatever the gateway or its dev server creates is private. */
export const PRIVATE_UMASK = 0o077;

/** Creates `dir` (and missing parents) 0700; an existing dir is narrowed to 0700. */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Creates `file` empty if missing (its parent 0700), and narrows it to 0600 either way. */
export function privateFile(file: string): void {
  if (file === ':memory:' || file === '') return;
  mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  chmodSync(file, PRIVATE_FILE_MODE);
}

/**
 * A secret made once and kept (the codec, credential and demo keys): read from `file`, or made by
 * `make()` and written there 0600. Written beside it, then linked into place: the link either
 * creates the file whole or fails because another process starting at the same moment won, and
 * then both use the winner's secret (two processes on one data dir must agree on the codec key).
 */
export function secretFile(file: string, make: () => string): string {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(tmp, `${make()}\n`, { mode: PRIVATE_FILE_MODE });
    try {
      linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
  }
  return readFileSync(file, 'utf8').trim();
}

/** A SQLite database some other program creates: its dir (0700 if new) and any files already there narrowed to 0600. */
export function narrowDatabase(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, PRIVATE_FILE_MODE);
}

/**
 * Runs `fn` (e.g. a spawn: the child inherits the umask at fork) under umask 077, then restores it.
 * The umask is process-wide, so `fn` must be synchronous.
 */
export function withPrivateUmask<T>(fn: () => T): T {
  const previous = process.umask(PRIVATE_UMASK);
  try {
    return fn();
  } finally {
    process.umask(previous);
  }
}

/**
 * The data dir 0700 and everything in it 0700/0600, also what an older version left readable.
 * Symbolic links are left alone (their target may be anything, e.g. a shared config).
 */
export function secureDataDir(dir: string): void {
  privateDir(dir);
  narrowTree(dir);
}

function narrowTree(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) continue;
    if (st.isDirectory()) {
      chmodSync(path, PRIVATE_DIR_MODE);
      narrowTree(path);
    } else if (st.isFile() && (st.mode & 0o077) !== 0) {
      chmodSync(path, PRIVATE_FILE_MODE);
    }
  }
}
