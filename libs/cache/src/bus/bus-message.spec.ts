import { fitAnnouncement, parseMessage } from './bus-message';

const size = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

describe('fitAnnouncement', () => {
  it('keeps an announcement that fits as it is', () => {
    expect(fitAnnouncement({ n: 'users', k: ['a', 'b'] }, 8000)).toEqual([
      { n: 'users', k: ['a', 'b'] },
    ]);
  });

  it('cuts a long key list into messages that fit, every key once and in order', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `user:${i}:profile`);
    const parts = fitAnnouncement({ n: 'users', k: keys }, 7999);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      // Room is kept for the sender's stamps.
      expect(
        size({ s: 'f'.repeat(36), q: Number.MAX_SAFE_INTEGER, b: 1e13, ...part }),
      ).toBeLessThan(7999);
    }
    expect(parts.flatMap((part) => part.k)).toEqual(keys);
  });

  it('counts multi-byte and escaped characters in bytes', () => {
    const keys = Array.from({ length: 300 }, (_, i) => `é"\u0001${i}`.repeat(5));
    const parts = fitAnnouncement({ n: 'n', k: keys }, 2000);
    for (const part of parts) expect(size(part)).toBeLessThanOrEqual(2000 - 128);
    expect(parts.flatMap((part) => part.k)).toEqual(keys);
  });

  it('cuts tag lists the same way', () => {
    const tags = Array.from({ length: 500 }, (_, i) => `tag-${i}`);
    const parts = fitAnnouncement({ n: 'n', t: tags }, 1000);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.flatMap((part) => part.t)).toEqual(tags);
  });

  it('falls back to clearing the namespace for an item that cannot fit alone', () => {
    expect(fitAnnouncement({ n: 'n', k: ['small', 'x'.repeat(5000)] }, 2000)).toEqual([
      { n: 'n', c: true },
    ]);
    expect(fitAnnouncement({ n: 'n', t: ['\u0000'.repeat(1000)] }, 2000)).toEqual([
      { n: 'n', c: true },
    ]);
    expect(fitAnnouncement({ n: 'n', p: 'k*'.repeat(1000) }, 1000)).toEqual([{ n: 'n', c: true }]);
  });

  it('gives nothing when not even a clear fits', () => {
    expect(fitAnnouncement({ n: 'x'.repeat(500), k: ['a'] }, 300)).toEqual([]);
  });
});

describe('parseMessage', () => {
  it('reads a stamped message', () => {
    expect(parseMessage('{"s":"a","q":3,"b":5,"n":"users","k":["x"]}')).toEqual({
      s: 'a',
      q: 3,
      b: 5,
      n: 'users',
      k: ['x'],
    });
  });

  it.each([
    'not json',
    '1',
    'null',
    '{"n":"x"}',
    '{"s":"a"}',
    '{"s":"a","n":"x","q":0}',
    '{"s":"a","n":"x","q":1.5}',
  ])('refuses %s', (text) => expect(parseMessage(text)).toBeUndefined());
});
