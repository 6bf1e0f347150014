import { headersNow, headersSetSince } from './handler-headers';

/** A response whose headers are `headers`, as Express and Fastify list them. */
const responseWith = (headers: Record<string, unknown>) => ({ getHeaders: () => headers });

describe('headersSetSince', () => {
  it('keeps what changed since, as one line each, and none the cache writes itself', () => {
    const headers: Record<string, unknown> = { 'x-powered-by': 'Express', 'cache-control': 'no' };
    const response = responseWith(headers);
    const before = headersNow(response);
    Object.assign(headers, {
      'cache-control': 'max-age=60',
      link: ['</a>; rel=next', '</b>; rel=prev'],
      'x-rows': 2,
      'x-cache': 'MISS',
      'content-length': '7',
      etag: 'W/"7-abc"',
    });
    expect(headersSetSince(before, response)).toEqual({
      'cache-control': 'max-age=60',
      link: '</a>; rel=next, </b>; rel=prev',
      'x-rows': '2',
    });
  });

  it('finds nothing on a response that cannot list its headers', () => {
    expect(headersSetSince({}, {})).toEqual({});
  });
});
