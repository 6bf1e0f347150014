import { SenderTracker } from './sender-tracker';

describe('SenderTracker', () => {
  const since = 1_000_000;
  let tracker: SenderTracker;
  beforeEach(() => {
    tracker = new SenderTracker();
    tracker.listening(since);
  });

  it('finds nothing missing in an unbroken sequence', () => {
    for (let q = 1; q <= 5; q++)
      expect(tracker.check('a', q, q > 1 ? since + q : undefined)).toBe(0);
  });

  it('counts the numbers a sender skipped', () => {
    tracker.check('a', 1, undefined);
    expect(tracker.check('a', 2, since + 1)).toBe(0);
    expect(tracker.check('a', 5, since + 2)).toBe(2);
    expect(tracker.check('a', 6, since + 3)).toBe(0);
  });

  it('ignores a late or repeated message', () => {
    tracker.check('a', 1, undefined);
    tracker.check('a', 3, since);
    expect(tracker.check('a', 2, since)).toBe(0);
    expect(tracker.check('a', 3, since)).toBe(0);
    expect(tracker.check('a', 4, since)).toBe(0);
  });

  it('tracks every sender on its own', () => {
    tracker.check('a', 1, undefined);
    tracker.check('b', 1, undefined);
    expect(tracker.check('a', 2, since)).toBe(0);
    expect(tracker.check('b', 3, since)).toBe(1);
  });

  it('accepts a sender first heard mid-stream whose earlier messages predate listening', () => {
    // An instance that restarted hears the others' next numbers: nothing was lost.
    expect(tracker.check('a', 40, since - 60_000)).toBe(0);
    expect(tracker.check('a', 41, since + 10)).toBe(0);
  });

  it('counts a gap for a sender first heard mid-stream whose previous message came after', () => {
    expect(tracker.check('a', 7, since + 5_000)).toBe(6);
  });

  it('leans towards a gap within the clock margin', () => {
    expect(tracker.check('a', 2, since - 10)).toBe(1);
  });

  it('does not judge while not listening, and forgets senders on reset', () => {
    tracker.reset();
    expect(tracker.check('a', 9, since + 5_000)).toBe(0);
    tracker.listening(since);
    expect(tracker.check('a', 10, since + 5_001)).toBe(0);
    tracker.reset();
    tracker.listening(since + 10_000);
    expect(tracker.check('a', 12, since + 9_000 - 2_000)).toBe(0);
  });

  it('cannot check a sender without numbers', () => {
    expect(tracker.check('old', undefined, undefined)).toBe(0);
  });
});
