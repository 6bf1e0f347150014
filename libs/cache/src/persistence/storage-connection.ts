import type { DataSource, DataSourceOptions } from 'typeorm';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStoragePeers } from '../optional-peer';
import { CACHE_STORAGE_TABLE, type StorageDialect } from './cache-storage.entity';
import { CreateCacheStorage1763700000000 } from './create-cache-storage.migration';
import { ScopeCacheStorageByPrefix1795600000000 } from './scope-cache-storage.migration';
import { claimStoreFile } from './store-file-lock';

/** Where persisted entries go: a DataSource of the app's, its options, or the embedded store. */
export type StorageSource = DataSource | DataSourceOptions | undefined;

/** The file of the embedded store, under the working directory. */
export const EMBEDDED_STORE_FILE = '.cache-storage.sqlite';

/** Whether the default embedded store's file exists: rows an earlier run left there. */
export function embeddedStoreExists(): boolean {
  return existsSync(embeddedStoreLocation());
}

/** An initialized connection to the database of `cache_storage`. */
export interface StorageConnection {
  readonly dataSource: DataSource;
  readonly dialect: StorageDialect;
  /** Whether it was opened here, and so is closed by whoever opened it. */
  readonly opened: boolean;
  /** Lets go of what was claimed for it (an embedded store's file), once it is closed. */
  readonly release: () => void;
}

/**
 * Connects to `source`: the app's DataSource as it is (initialized here if it was not), one
 * built from its options, or the embedded SQLite store when there is none.
 */
export async function connectStorage(source: StorageSource): Promise<StorageConnection> {
  const { DataSource } = loadStoragePeers(source);
  const given = source instanceof DataSource ? source : undefined;
  const dataSource =
    given ??
    new DataSource(
      withAtomicSave(
        (source as DataSourceOptions | undefined) ?? {
          type: 'sqljs',
          location: embeddedStoreLocation(),
          autoSave: true,
        },
      ),
    );
  const opened = !dataSource.isInitialized;
  const options = dataSource.options;
  // One connection per file: sql.js rewrites the whole file from its own memory.
  const release =
    opened && options.type === 'sqljs' && options.location
      ? claimStoreFile(options.location)
      : () => undefined;
  if (opened) {
    try {
      await dataSource.initialize();
    } catch (error) {
      release();
      throw error;
    }
  }
  const dialect: StorageDialect = options.type === 'postgres' ? 'postgres' : 'sqlite';
  return { dataSource, dialect, opened, release };
}

/**
 * Brings the table to the current shape, as `npm run migration:run` does: creates it when it
 * is missing, scopes it by prefix when it predates prefixes (its rows go to `prefix`). In one
 * transaction, under an advisory lock on PostgreSQL, so instances starting together neither
 * race nor see half a change.
 */
export async function migrateStorage(
  { dataSource, dialect }: StorageConnection,
  prefix: string,
): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.startTransaction();
    if (dialect === 'postgres') {
      await runner.query('SELECT pg_advisory_xact_lock(hashtext($1))', [CACHE_STORAGE_TABLE]);
    }
    if (!(await runner.hasTable(CACHE_STORAGE_TABLE))) {
      await new CreateCacheStorage1763700000000().up(runner);
    }
    await new ScopeCacheStorageByPrefix1795600000000(prefix).up(runner);
    await runner.commitTransaction();
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    throw error;
  } finally {
    await runner.release();
  }
}

/**
 * sql.js keeps the database in memory and rewrites its file after each change: written in place,
 * a crash or a reader mid-write meets half a file. Written to a temporary file and renamed over
 * the old one, the file is always whole.
 */
function withAtomicSave(options: DataSourceOptions): DataSourceOptions {
  if (
    options.type !== 'sqljs' ||
    !options.autoSave ||
    options.autoSaveCallback ||
    !options.location
  ) {
    return options;
  }
  const location = options.location;
  return {
    ...options,
    autoSaveCallback: (data: Uint8Array) => {
      const temporary = `${location}.${process.pid}.tmp`;
      writeFileSync(temporary, data);
      renameSync(temporary, location);
    },
  };
}

function embeddedStoreLocation(): string {
  return join(process.cwd(), EMBEDDED_STORE_FILE);
}
