/** Checks the demo's environment once, at start, naming the variable that is wrong. */
export function validateEnvironment(
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const port = env.PORT;
  if (port !== undefined && port !== '' && !/^\d+$/.test(port)) {
    throw new Error(`PORT: ${JSON.stringify(port)} is not a port number`);
  }
  for (const name of ['REDIS_URL', 'DATABASE_URL'] as const) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    try {
      new URL(value);
    } catch {
      throw new Error(`${name}: ${JSON.stringify(value)} is not a URL`);
    }
  }
  const entries = env.CACHE_MAX_ENTRIES;
  if (entries !== undefined && entries !== '' && !/^[1-9]\d*$/.test(entries)) {
    throw new Error(`CACHE_MAX_ENTRIES: ${JSON.stringify(entries)} is not a positive integer`);
  }
  return env;
}
