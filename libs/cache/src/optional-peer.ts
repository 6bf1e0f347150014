import { CacheError } from './errors/cache.error';

/** The optional peer dependencies, each loaded only when an option needs it. */
export type OptionalPeer = 'ioredis' | 'typeorm' | 'pg' | 'sql.js' | 'prom-client';

/**
 * An option needs an optional peer dependency that is not installed: the message names the
 * package and the option, the hint the command that installs it.
 */
export class MissingPeerError extends CacheError {
  constructor(
    /** The package to install. */
    readonly peer: string,
    /** The option that needs it. */
    readonly option: string,
  ) {
    super(
      `${option} needs the package "${peer}", which is not installed`,
      'E_CACHE_MISSING_PEER',
      `npm install ${peer}`,
    );
  }
}

const loaded = new Map<OptionalPeer, unknown>();

/**
 * The optional peer `peer`, required on first use (from wherever this package is installed, so
 * the application's own copy is found); a `MissingPeerError` naming `option` when it is absent.
 */
export function loadPeer<T>(peer: OptionalPeer, option: string): T {
  const module = tryLoadPeer<T>(peer);
  if (module === undefined) throw new MissingPeerError(peer, option);
  return module;
}

/** The optional peer `peer` when it is installed, undefined when it is not. */
export function tryLoadPeer<T>(peer: OptionalPeer): T | undefined {
  if (loaded.has(peer)) return loaded.get(peer) as T;
  let module: unknown;
  try {
    // A runtime require, so an application that never uses the option never loads the peer.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    module = require(peer);
  } catch (error) {
    // Only the peer itself missing counts; a peer that fails to load (or lacks one of its own
    // dependencies) reports its own error.
    if (!isNotFound(error, peer)) throw error;
    module = undefined;
  }
  loaded.set(peer, module);
  return module as T | undefined;
}

function isNotFound(error: unknown, peer: string): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return (
    (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    message.includes(`'${peer}'`)
  );
}

/**
 * typeorm, after checking that the driver `source` needs is installed too (`pg` for PostgreSQL,
 * `sql.js` for the embedded store): a missing one fails here, naming itself, rather than deep in
 * TypeORM's connect.
 */
export function loadStoragePeers(source: unknown): typeof import('typeorm') {
  const typeorm = loadPeer<typeof import('typeorm')>('typeorm', 'persistence');
  if (source instanceof typeorm.DataSource) return typeorm;
  const type = (source as { type?: string } | undefined)?.type;
  if (type === undefined || type === 'sqljs')
    loadPeer('sql.js', type ? 'persistence.dataSource (sqljs)' : 'persistence (embedded store)');
  else if (type === 'postgres') loadPeer('pg', 'persistence.dataSource (postgres)');
  return typeorm;
}
