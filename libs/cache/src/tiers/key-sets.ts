/** A multimap from a label (tag, index value) to the keys carrying it; empty sets are dropped. */
export class KeySets {
  private readonly sets = new Map<string, Set<string>>();

  add(label: string, key: string): void {
    let keys = this.sets.get(label);
    if (keys === undefined) this.sets.set(label, (keys = new Set()));
    keys.add(key);
  }

  remove(label: string, key: string): void {
    const keys = this.sets.get(label);
    if (keys === undefined) return;
    keys.delete(key);
    if (keys.size === 0) this.sets.delete(label);
  }

  get(label: string): ReadonlySet<string> | undefined {
    return this.sets.get(label);
  }
}
