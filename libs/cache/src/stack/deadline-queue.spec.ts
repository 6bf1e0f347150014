import { DeadlineQueue, type PendingCall } from './deadline-queue';

function call(deadline: number): PendingCall {
  return { deadline, fail: () => undefined, done: false, apart: false };
}

describe('DeadlineQueue', () => {
  it('gives the calls due, in order, and the earliest deadline left', () => {
    const queue = new DeadlineQueue();
    const calls = [call(10), call(20), call(30)];
    calls.forEach((pending) => queue.add(pending));
    expect(queue.due(20)).toEqual({ due: [calls[0], calls[1]], next: 30 });
    expect(queue.due(25)).toEqual({ due: [], next: 30 });
  });

  it('never gives a call that was answered, and answers each call once', () => {
    const queue = new DeadlineQueue();
    const [first, second] = [call(10), call(20)];
    queue.add(first);
    queue.add(second);
    expect(queue.settle(second)).toBe(true);
    expect(queue.due(Infinity)).toEqual({ due: [first], next: Infinity });
    expect(queue.settle(first)).toBe(false);
    expect(queue.settle(second)).toBe(false);
  });

  it('keeps an earlier deadline (a spent budget) apart, and times it out first', () => {
    const queue = new DeadlineQueue();
    const late = call(100);
    const early = call(40);
    queue.add(late);
    queue.add(early);
    expect(early.apart).toBe(true);
    expect(queue.due(50)).toEqual({ due: [early], next: 100 });
    const other = call(60);
    queue.add(other);
    expect(queue.settle(other)).toBe(true);
    expect(queue.due(70)).toEqual({ due: [], next: 100 });
  });

  it('lets a call given a later deadline wait on, apart, until it is given none', () => {
    const queue = new DeadlineQueue();
    let renewTo: number | undefined = 80;
    const batch: PendingCall = { ...call(10), renewal: () => renewTo };
    const plain = call(10);
    const after = call(50);
    [batch, plain, after].forEach((pending) => queue.add(pending));
    expect(queue.due(20)).toEqual({ due: [plain], next: 50 });
    expect(batch).toMatchObject({ deadline: 80, apart: true, done: false });
    expect(queue.due(60)).toEqual({ due: [after], next: 80 });
    renewTo = undefined;
    expect(queue.due(90)).toEqual({ due: [batch], next: Infinity });
    // Once answered it is never given again, wherever it waited.
    expect(queue.settle(batch)).toBe(false);
  });

  it('gives every call at Infinity (closing), renewed or not', () => {
    const queue = new DeadlineQueue();
    const batch: PendingCall = { ...call(10), renewal: () => 1_000 };
    queue.add(batch);
    expect(queue.due(Infinity)).toEqual({ due: [batch], next: Infinity });
  });

  it('keeps its array bounded, however many calls were answered', () => {
    const queue = new DeadlineQueue();
    let waiting = call(0);
    queue.add(waiting);
    for (let i = 1; i <= 100_000; i++) {
      const next = call(i);
      queue.add(next);
      queue.settle(waiting);
      waiting = next;
    }
    const held = (queue as unknown as { ordered: unknown[]; head: number }).ordered;
    expect(held.length - (queue as unknown as { head: number }).head).toBe(1);
    // Answered calls at the front are dropped in batches of about a thousand.
    expect(held.length).toBeLessThan(2100);
  });
});
