import { PersistenceLevel } from '../options/persistence-level';
import { entryOf } from '../tiers/tier.contract';
import { DirtyEntries } from './dirty-entries';
import { PendingRemovals } from './pending-removals';
import type { Removal } from './removal';
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
    expect(dirty.periodic.get('ns')?.has('k') ?? false).toBe(false);
    expect(dirty.onShutdown.get('ns')?.get('k')?.value).toBe(2);
    expect(dirty.count('ns')).toBe(1);
    expect(dirty.count()).toBe(1);
    expect(dirty.isDirty('ns', 'k')).toBe(true);
  });

  it('puts back what a flush failed to write, unless a newer state arrived', () => {
    const dirty = new DirtyEntries();
    dirty.markEntry('ns', 'a', periodic('old a'));
    dirty.markEntry('ns', 'b', periodic('old b'));
    const [flight] = dirty.take(dirty.periodic);
    expect(dirty.empty).toBe(true);
    dirty.markEntry('ns', 'a', periodic('new a'));
    dirty.putBack(flight, dirty.periodic);
    expect(dirty.periodic.get('ns')?.get('a')?.value).toBe('new a');
    expect(dirty.periodic.get('ns')?.get('b')?.value).toBe('old b');
  });

  it('puts back no key dropped from a failed flight (a row the database refused)', () => {
    const dirty = new DirtyEntries();
    dirty.markEntry('ns', 'a', periodic('refused a'));
    dirty.markEntry('ns', 'b', periodic('b'));
    const [flight] = dirty.take(dirty.periodic);
    dirty.dropped(flight, ['a']);
    dirty.putBack(flight, dirty.periodic);
    expect(dirty.isDirty('ns', 'a')).toBe(false);
    expect(dirty.isDirty('ns', 'b')).toBe(true);
  });

  it('puts back no state a newer write took from a failed flight, whatever its level', () => {
    const dirty = new DirtyEntries();
    dirty.markEntry('ns', 'a', periodic('old a'));
    const [flight] = dirty.take(dirty.periodic);
    dirty.markEntry('ns', 'a', onShutdown('new a'));
    const sent = dirty.send('ns', 'b', periodic('sent b'));
    const newer = dirty.send('ns', 'b', periodic('newer b'));
    dirty.putBack(flight, dirty.periodic);
    dirty.putBack(sent, dirty.periodic);
    expect(dirty.isDirty('ns', 'b')).toBe(false);
    dirty.putBack(newer, dirty.periodic);
    expect(dirty.periodic.get('ns')).toEqual(new Map([['b', newer.entries.get('b')]]));
    expect(dirty.onShutdown.get('ns')?.get('a')?.value).toBe('new a');
  });

  const removals: Array<[string, Removal]> = [
    ['key', { keys: ['user:1'] }],
    ['tag', { tags: ['t'] }],
    ['glob', { glob: 'user:*' }],
    ['everything', { all: true }],
  ];

  it.each(removals)('puts back no state a removal by %s took from a failed flush', (_, removal) => {
    const dirty = new DirtyEntries();
    dirty.markEntry('ns', 'user:1', periodic(1, ['t']));
    dirty.markEntry('ns', 'other', periodic(2));
    const [flight] = dirty.take(dirty.periodic);
    dirty.forgetCovered('ns', removal);
    dirty.putBack(flight, dirty.periodic);
    expect(dirty.isDirty('ns', 'user:1')).toBe(false);
    expect(dirty.count()).toBe('all' in removal ? 0 : 1);
  });

  it.each(removals)(
    'puts back no state a removal by %s took from a failed flight',
    (_label, removal) => {
      const dirty = new DirtyEntries();
      dirty.markEntry('ns', 'user:1', periodic(1, ['t']));
      const [flight] = dirty.take(dirty.periodic);
      const sent = dirty.send('ns', 'user:1', periodic(2, ['t']));
      dirty.forgetCovered('ns', removal);
      dirty.putBack(flight, dirty.periodic);
      dirty.putBack(sent, dirty.periodic);
      expect(dirty.count()).toBe(0);
    },
  );

  it('leaves no namespace to flush once its only entry is dropped or removed', () => {
    const dirty = new DirtyEntries();
    dirty.markEntry('ns', 'a', periodic(1));
    dirty.markEntry('ns', 'b', periodic(2, ['t']));
    dirty.drop('ns', 'a');
    dirty.forgetCovered('ns', { tags: ['t'] });
    expect(dirty.empty).toBe(true);
    expect(dirty.take(dirty.periodic)).toEqual([]);
  });

  it('keeps track of no flight once it landed', () => {
    const dirty = new DirtyEntries();
    const landed = dirty.send('ns', 'k', periodic(1));
    dirty.landed(landed);
    dirty.putBack(landed, dirty.periodic);
    expect(dirty.empty).toBe(true);
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

describe('PendingRemovals', () => {
  it('applies the removals of a namespace, a clear first, then tags, globs and held keys, keeping those after a failure', async () => {
    const pending = new PendingRemovals();
    pending.add('ns', { tags: ['a'] });
    pending.add('other', { all: true });
    pending.add('ns', { glob: 'b*' });
    expect(pending.count()).toBe(3);
    const applied: Removal[] = [];
    const failing = pending.retry('ns', async (removal) => {
      if ('glob' in removal) throw new Error('down');
      applied.push(removal);
    });
    await expect(failing).rejects.toThrow('down');
    expect(applied).toEqual([{ tags: ['a'] }]);
    expect(pending.count('ns')).toBe(1);
    await pending.retry('ns', async (removal) => void applied.push(removal));
    expect(applied).toEqual([{ tags: ['a'] }, { glob: 'b*' }]);
    expect(pending.namespaces()).toEqual(['other']);
  });

  it('keeps a removal once, and one of everything in place of the others', () => {
    const pending = new PendingRemovals();
    pending.add('ns', { tags: ['a'] });
    pending.add('ns', { tags: ['a'] });
    expect(pending.count('ns')).toBe(1);
    pending.add('ns', { all: true });
    pending.add('ns', { glob: 'b*' });
    expect(pending.count()).toBe(1);
  });

  it('merges the removals of a namespace, whatever keys memory held, into a few statements', async () => {
    const pending = new PendingRemovals();
    for (let i = 0; i < 100; i++) {
      pending.add('ns', { tags: i % 2 ? ['a', 'b'] : ['b', 'a'], held: [`k${i % 3}`] });
      pending.add('ns', { glob: 'g*', held: [`k${i % 3}`] });
    }
    expect(pending.count()).toBe(2);
    const applied: Removal[] = [];
    await pending.retry('ns', async (statement) => void applied.push(statement));
    expect(applied).toEqual([{ tags: ['b', 'a'] }, { glob: 'g*' }, { keys: ['k0', 'k1', 'k2'] }]);
    expect(pending.count()).toBe(0);
  });

  it('forgets what a statement carried out late removed, and only that', async () => {
    const pending = new PendingRemovals();
    pending.add('ns', { tags: ['a'], held: ['k'] });
    pending.add('ns', { tags: ['b'] });
    pending.applied('ns', { tags: ['a'] });
    const applied: Removal[] = [];
    await pending.retry('ns', async (statement) => void applied.push(statement));
    expect(applied).toEqual([{ tags: ['b'] }, { keys: ['k'] }]);
    pending.add('ns', { all: true });
    pending.applied('ns', { all: true });
    expect(pending.namespaces()).toEqual([]);
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
