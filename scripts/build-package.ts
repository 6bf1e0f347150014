/**
 * Builds the package `nest-tiered-cache` into dist/cache (compiled CommonJS, .d.ts, source maps,
 * package.json, README, CHANGELOG, LICENSE); with `--pack`, also packs it and prints the
 * tarball's path. `npm run build:package`, `npm run pack:package`.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const LIBRARY = join(ROOT, 'libs/cache');
/** What `npm pack` packs: the library's package.json and docs beside the compiled `dist`. */
export const PACKAGE_DIR = join(ROOT, 'dist/cache');
const OPTIONAL_PEERS = ['ioredis', 'typeorm', 'pg', 'sql.js', 'prom-client', '@nestjs/terminus'];

/** Compiles the library and lays out the package; returns its directory. */
export function buildPackage(): string {
  rmSync(PACKAGE_DIR, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', join(LIBRARY, 'tsconfig.lib.json')],
    { stdio: 'inherit' },
  );
  for (const file of declarationFiles(join(PACKAGE_DIR, 'dist'))) markOptionalPeers(file);
  for (const file of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'])
    copyFileSync(join(LIBRARY, file), join(PACKAGE_DIR, file));
  return PACKAGE_DIR;
}

/** Packs the built package into `destination`; returns the tarball's path. */
export function packPackage(destination: string = PACKAGE_DIR): string {
  const output = execFileSync(
    'npm',
    ['pack', '--json', '--pack-destination', destination, PACKAGE_DIR],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [packed] = JSON.parse(output) as Array<{ filename: string }>;
  return join(destination, packed.filename);
}

/**
 * An app that lacks an optional peer still type-checks the package's declarations (with
 * `skipLibCheck: false`): each line that names the peer's types is marked, and those types are
 * `any` there. With the peer installed they are its real types.
 */
function markOptionalPeers(file: string): void {
  const peers = OPTIONAL_PEERS.map((peer) => peer.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const naming = new RegExp(`(from |import\\()'(${peers.join('|')})'`);
  const lines = readFileSync(file, 'utf8').split('\n');
  const marked = lines.flatMap((line) =>
    naming.test(line)
      ? ['// @ts-ignore: an optional peer dependency, maybe not installed', line]
      : [line],
  );
  if (marked.length !== lines.length) writeFileSync(file, marked.join('\n'));
}

function declarationFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return declarationFiles(path);
    return path.endsWith('.d.ts') ? [path] : [];
  });
}

if (require.main === module) {
  buildPackage();
  if (process.argv.includes('--pack')) console.log(packPackage());
}
