import { httpCacheKey } from './http-cache-key';

const request = (host: string, url = '/page') => ({ method: 'GET', url, headers: { host } });

describe('httpCacheKey', () => {
  it('checks every Host, however many distinct ones came before', () => {
    for (let i = 0; i < 600; i++) expect(httpCacheKey(request(`h${i}.test:80`), [])).toBeDefined();
    expect(httpCacheKey(request('evil.test/path'), [])).toBeUndefined();
    expect(httpCacheKey(request('evil.test/path'), [])).toBeUndefined();
    expect(httpCacheKey(request('999.1.1.1'), [])).toBeUndefined();
    expect(httpCacheKey(request('ok.test'), [])).toBe('GET ok.test - /page');
  });

  it('keys a Host of a DNS name and a port, and leaves a longer one uncached', () => {
    const longest = `${'a'.repeat(253)}:65535`;
    expect(httpCacheKey(request(longest), [])).toBe(`GET ${longest} - /page`);
    expect(httpCacheKey(request(`a${longest}`), [])).toBeUndefined();
    expect(httpCacheKey(request('a'.repeat(2000)), [])).toBeUndefined();
  });

  it('keeps a target of up to 512 UTF-8 bytes in clear and digests a longer one', () => {
    // 170 characters of 3 bytes each: 510 bytes plus the leading slash.
    const kept = `/${'€'.repeat(170)}`;
    expect(httpCacheKey(request('a.test', kept), [])).toBe(`GET a.test - ${kept}`);
    const long = `/${'€'.repeat(171)}`;
    expect(httpCacheKey(request('a.test', long), [])).toMatch(/^GET a\.test - #\S+ \//);
    // Short in characters, long in bytes: emoji take 4 bytes for 2 UTF-16 units.
    const emoji = `/${'😀'.repeat(129)}`;
    expect(httpCacheKey(request('a.test', emoji), [])).toMatch(/^GET a\.test - #/);
  });

  it('digests the URL-shaping and varied headers only when there are some', () => {
    const plain = httpCacheKey(request('a.test'), []);
    const forwarded = httpCacheKey(
      { method: 'GET', url: '/page', headers: { host: 'a.test', 'x-forwarded-host': 'b.test' } },
      [],
    );
    const varied = httpCacheKey(request('a.test'), ['accept-language']);
    expect(plain).toBe('GET a.test - /page');
    expect(forwarded).toMatch(/^GET a\.test [\w-]{43} \/page$/);
    expect(varied).toMatch(/^GET a\.test [\w-]{43} \/page$/);
    expect(new Set([plain, forwarded, varied]).size).toBe(3);
  });
});
