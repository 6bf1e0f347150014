import { PersistenceLevel } from '../options/persistence-level';
import { entryOf } from '../tiers/tier.contract';
import { DirtyEntries } from './dirty-entries';
import { WriteQueue } from './write-queue';
import { WriteWatch } from './write-watch';

const periodic = (value: unknown, tags?: string[]) =>
  entryOf(value, { persistence: PersistenceLevel.PERIODIC, ...(tags && { tags }) });
const onShutdown = (value: unknown) =>
  entryOf(value, { persistence: PersistenceLevel.ON_SHUTDOWN });

describe('DirtyEntries', () => {
  it('keeps a key dirty in one level only, its newest state winning', () => {
    const dirty = new DirtyEntries();
    dirty.markEntry('ns', 'k', periodic(1));
    dirty.markEntry('ns', 'k', onShutdown(2));
    expect(dirty.periodic.get('ns')?.has('k')).toBe(false);
    expect(dirty.onShutdown.get('ns')?.get('k')?.value).toBe(2);
    expect(dirty.count('ns')).toBe(1);
    expect(dirty.count()).toBe(1);
    expect(dirty.isDirty('ns', 'k')).toBe(true);
  });

  it('puts back what a flush failed to write, unless a newer state arrived', () => {
    const dirty = new DirtyEntries();
    dirty.markEntry('ns', 'a', periodic('old a'));
    dirty.markEntry('ns', 'b', periodic('old b'));
    const taken = dirty.take(dirty.periodic);
    expect(dirty.empty).toBe(true);
    dirty.markEntry('ns', 'a', periodic('new a'));
    dirty.putBack(dirty.periodic, 'ns', taken.get('ns') ?? new Map());
    expect(dirty.periodic.get('ns')?.get('a')?.value).toBe('new a');
    expect(dirty.periodic.get('ns')?.get('b')?.value).toBe('old b');
  });

  it('forgets the entries a removal covers, and only those', () => {
    const dirty = new DirtyEntries();
    dirty.markEntry('ns', 'user:1', periodic(1, ['t']));
    dirty.markEntry('ns', 'user:2', periodic(2));
    dirty.markEntry('ns', 'team:1', onShutdown(3));
    dirty.markEntry('other', 'user:1', periodic(4, ['t']));
    dirty.forgetCovered('ns', { tags: ['t'] });
    expect(dirty.isDirty('ns', 'user:1')).toBe(false);
    dirty.forgetCovered('ns', { glob: 'user:*' });
    expect(dirty.isDirty('ns', 'user:2')).toBe(false);
    expect(dirty.isDirty('ns', 'team:1')).toBe(true);
    dirty.forgetCovered('ns', { all: true });
    expect(dirty.count('ns')).toBe(0);
    expect(dirty.isDirty('other', 'user:1')).toBe(true);
  });
});

describe('WriteQueue', () => {
  it('runs work in the order asked, a failure not stopping the next', async () => {
    const queue = new WriteQueue();
    const ran: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = queue.enqueue(() => gate.then(() => void ran.push('first')));
    const failing = queue.enqueue(() => Promise.reject(new Error('refused')));
    const last = queue.enqueue(async () => ran.push('last'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toEqual([]);
    release();
    await first;
    await expect(failing).rejects.toThrow('refused');
    await last;
    await queue.settled();
    expect(ran).toEqual(['first', 'last']);
  });
});

describe('WriteWatch', () => {
  it('collects the writes of a namespace made while watched', () => {
    const watch = new WriteWatch();
    watch.written('ns', 'before', periodic(0));
    const since = watch.watch('ns');
    watch.written('ns', 'k', periodic(1));
    watch.written('other', 'k', periodic(2));
    watch.unwatch('ns', since);
    watch.written('ns', 'after', periodic(3));
    expect([...since.keys()]).toEqual(['k']);
  });
});
