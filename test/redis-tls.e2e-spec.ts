import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCacheApp } from './servers/cache-app';
import { freePort } from './servers/free-port';
import { RedisServer } from './servers/redis-server';

/** A throwaway CA and a server certificate for 127.0.0.1 signed by it. */
function certificates(dir: string): { ca: string; cert: string; key: string } {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=test-ca',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  );
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    file('san.ext'),
    '-out',
    file('server.crt'),
  );
  return { ca: file('ca.crt'), cert: file('server.crt'), key: file('server.key') };
}

describe('Redis over TLS', () => {
  let dir: string;
  let server: RedisServer;
  let tlsPort: number;
  let ca: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-tls-'));
    const files = certificates(dir);
    ca = readFileSync(files.ca, 'utf8');
    tlsPort = await freePort();
    // TLS only: the plain port is turned off.
    server = await RedisServer.start([
      '--port',
      '0',
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      files.cert,
      '--tls-key-file',
      files.key,
      '--tls-ca-cert-file',
      files.ca,
      '--tls-auth-clients',
      'no',
    ]);
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('works through a rediss:// URL with the CA in the ioredis options, bus included', async () => {
    const app = await startCacheApp({
      prefix: 'tls',
      redis: { url: `rediss://127.0.0.1:${tlsPort}`, options: { tls: { ca } } },
      namespaces: ['s'],
    });
    try {
      await app.ns('s').set('k', { at: new Date(0) });
      expect(await app.ns('s').get('k')).toEqual({ at: new Date(0) });
      expect(await app.ns('s').increment('n')).toBe(1);
      expect(app.service.info().backends.redis).toMatchObject({
        healthy: true,
        bus: { connected: true },
      });
      expect((await app.service.health()).status).toBe('up');
    } finally {
      await app.close();
    }
  });

  it('works with ioredis host options and `tls`', async () => {
    const app = await startCacheApp({
      prefix: 'tls2',
      redis: { host: '127.0.0.1', port: tlsPort, tls: { ca } },
      namespaces: ['s'],
    });
    try {
      await app.ns('s').set('k', 'v');
      expect(await app.ns('s').get('k')).toBe('v');
    } finally {
      await app.close();
    }
  });

  it('refuses a server whose certificate it cannot verify, degrading instead of failing', async () => {
    const app = await startCacheApp({
      prefix: 'untrusted',
      redis: { url: `rediss://127.0.0.1:${tlsPort}`, commandTimeout: '300ms' },
      namespaces: ['s'],
    });
    try {
      // Served from memory; nothing reached the server.
      await app.ns('s').set('k', 'v');
      expect(await app.ns('s').get('k')).toBe('v');
      expect(app.service.info().backends.redis).toMatchObject({ healthy: false });
      expect(app.ns('s').stats().errors).toBeGreaterThan(0);
    } finally {
      await app.close();
    }
  });
});
