import { loggedMessage, quoted } from './log-text';

describe('log text', () => {
  it('quotes outside text on one line, escaping what could forge or hide a line', () => {
    const forged = 'k\n[Nest] 1  - LOG [CacheBus] connected\r\u001b[2J\u009b\u2028\u202e"\\';
    const text = quoted(forged);
    expect(text).toBe(
      '"k\\n[Nest] 1  - LOG [CacheBus] connected\\r\\u001b[2J\\u009b\\u2028\\u202e\\"\\\\"',
    );
    expect(JSON.parse(text)).toBe(forged);
    expect(quoted('user:42 ü 😀')).toBe('"user:42 ü 😀"');
  });

  it('bounds its length, saying how much was left out, never splitting a surrogate pair', () => {
    expect(quoted('a'.repeat(1024))).toBe(`"${'a'.repeat(200)}"…(+824 chars)`);
    expect(quoted(`${'a'.repeat(9)}😀`, 10)).toBe(`"${'a'.repeat(9)}"…(+2 chars)`);
  });

  it('keeps a message readable on one line', () => {
    expect(loggedMessage(new Error('unknown cache namespace "x"\nforged'))).toBe(
      'unknown cache namespace "x"\\nforged',
    );
    expect(loggedMessage('thrown \u001b[31m')).toBe('thrown \\u001b[31m');
    expect(loggedMessage(new Error('x'.repeat(600)))).toBe(`${'x'.repeat(500)}…(+100 chars)`);
  });
});
