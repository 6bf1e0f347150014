/** Checks the demo's environment once, at start, naming the variable that is wrong. */
export function validateEnvironment(
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const set = (name: string): string | undefined =>
    env[name] === undefined || env[name] === '' ? undefined : env[name];
  const port = set('PORT');
  if (port !== undefined && !/^\d+$/.test(port))
    throw new Error(`PORT: ${JSON.stringify(port)} is not a port number`);
  for (const name of ['REDIS_URL', 'DATABASE_URL']) {
    const value = set(name);
    if (value === undefined) continue;
    try {
      new URL(value);
    } catch {
      throw new Error(`${name}: ${JSON.stringify(value)} is not a URL`);
    }
  }
  for (const name of ['CACHE_MAX_ENTRIES', 'RATE_LIMIT_PER_MINUTE', 'WARM_ACTIVE_DAYS']) {
    const value = set(name);
    if (value !== undefined && !/^[1-9]\d*$/.test(value))
      throw new Error(`${name}: ${JSON.stringify(value)} is not a positive integer`);
  }
  const interval = set('DIGEST_INTERVAL');
  if (interval !== undefined && !/^[1-9]\d*(ms|s|m|h)$/.test(interval))
    throw new Error(
      `DIGEST_INTERVAL: ${JSON.stringify(interval)} is not a duration like 30s or 1m`,
    );
  return env;
}
