import { linkSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CacheError } from '../errors/cache.error';

/** The file of an embedded store is held by another connection, in this process or another. */
export class StoreInUseError extends CacheError {
  constructor(location: string, holder: number) {
    super(
      `the embedded store ${location} is in use by ${holder === process.pid ? 'another connection of this process' : `process ${holder}`}: sql.js keeps the whole database in one connection's memory and rewrites the file after each change, so a second one would overwrite the first one's rows`,
      'E_CACHE_STORE_IN_USE',
      'give each instance a working directory (or a sqljs location) of its own, or use PostgreSQL (persistence.dataSource) for several instances',
    );
  }
}

/** The files this process holds. */
const held = new Set<string>();

/**
 * Claims the file of an embedded store for one connection: a lock file beside it names the
 * holder's pid. It appears whole or not at all (written aside, then linked, which fails when one
 * exists); one whose holder is gone (a crash) is taken over. Throws `StoreInUseError` while
 * another connection, of this process or another, holds the file; returns the release.
 */
export function claimStoreFile(path: string): () => void {
  const location = canonical(path);
  if (held.has(location)) throw new StoreInUseError(location, process.pid);
  const lock = `${location}.lock`;
  const aside = `${lock}.${process.pid}`;
  writeFileSync(aside, String(process.pid));
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(aside, lock);
        held.add(location);
        return () => {
          held.delete(location);
          rmSync(lock, { force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = holderOf(lock);
        if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
          throw new StoreInUseError(location, holder);
        }
        // Its holder is gone, or it is this process's own, left by a connection never closed.
        rmSync(lock, { force: true });
      }
    }
    throw new StoreInUseError(location, holderOf(lock) ?? 0);
  } finally {
    rmSync(aside, { force: true });
  }
}

/**
 * One name per file, whatever path reaches it (a symlink to it or to its directory): another
 * path would miss the files this process holds, and take its own pid in the lock for a leftover.
 */
function canonical(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    // A file not written yet: its directory says where it will be.
  }
  try {
    return join(realpathSync(dirname(absolute)), basename(absolute));
  } catch {
    // A directory that does not exist either: opening the store fails there anyway.
    return absolute;
  }
}

/** The pid a lock file names, or undefined when it cannot be read. */
function holderOf(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(lock, 'utf8'));
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
