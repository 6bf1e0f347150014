import { validateEnvironment } from './environment';

describe('validateEnvironment', () => {
  it('accepts an empty environment and the documented variables', () => {
    expect(validateEnvironment({})).toEqual({});
    const env = {
      PORT: '3000',
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/chat',
      RATE_LIMIT_PER_MINUTE: '20',
      WARM_ACTIVE_DAYS: '7',
      DIGEST_INTERVAL: '30s',
      REDIS_URL_EMPTY: '',
    };
    expect(validateEnvironment(env)).toBe(env);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT: "eighty" is not a port number'],
    [{ REDIS_URL: 'localhost' }, 'REDIS_URL: "localhost" is not a URL'],
    [{ DATABASE_URL: 'pg' }, 'DATABASE_URL: "pg" is not a URL'],
    [{ RATE_LIMIT_PER_MINUTE: '0' }, 'RATE_LIMIT_PER_MINUTE: "0" is not a positive integer'],
    [{ CACHE_MAX_ENTRIES: '1e4' }, 'CACHE_MAX_ENTRIES: "1e4" is not a positive integer'],
    [
      { DIGEST_INTERVAL: '1 minute' },
      'DIGEST_INTERVAL: "1 minute" is not a duration like 30s or 1m',
    ],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => validateEnvironment(env)).toThrow(message);
  });
});
