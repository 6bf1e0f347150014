/** A `?` among a segment's code points: any one character. */
export const ANY_POINT = -1;

/**
 * Finds the leftmost place of a run of code points and `?`s in a key, by bit-parallel matching
 * (Shift-And): one pass over the key, each of its characters costing one step per 32 characters
 * of the run. Trying the run at each place in turn instead costs the key's length times the
 * run's, which a glob like `*?a?a...?b*` over a long key of `a`s turns into seconds.
 */
export class SegmentSearch {
  private readonly words: number;
  /** The run's length in code points. */
  private readonly length: number;
  /** Bit j set: position j of the run is a `?`. */
  private readonly any: Uint32Array;
  /** For each literal code point of the run: bit j set where position j takes it. */
  private readonly masks = new Map<number, Uint32Array>();
  private readonly lastWord: number;
  private readonly lastBit: number;

  constructor(points: readonly number[]) {
    this.length = points.length;
    this.words = Math.max(1, Math.ceil(points.length / 32));
    this.any = new Uint32Array(this.words);
    points.forEach((point, j) => {
      if (point === ANY_POINT) setBit(this.any, j);
    });
    points.forEach((point, j) => {
      if (point === ANY_POINT) return;
      let mask = this.masks.get(point);
      if (mask === undefined) this.masks.set(point, (mask = Uint32Array.from(this.any)));
      setBit(mask, j);
    });
    this.lastWord = (points.length - 1) >> 5;
    this.lastBit = 1 << ((points.length - 1) % 32);
  }

  /** Where the run ends at its leftmost match at or after `from` (a code unit index), or -1. */
  find(key: string, from: number): number {
    // Each code point takes one or two code units: too few left, no match.
    if (key.length - from < this.length) return -1;
    const words = this.words;
    // Bit j set: the last j + 1 characters read match the run's first j + 1.
    const state = new Uint32Array(words);
    for (let at = from; at < key.length;) {
      const point = key.codePointAt(at) as number;
      at += point > 0xffff ? 2 : 1;
      const mask = this.masks.get(point) ?? this.any;
      let carry = 1;
      for (let w = 0; w < words; w++) {
        const word = state[w];
        state[w] = ((word << 1) | carry) & mask[w];
        carry = word >>> 31;
      }
      if ((state[this.lastWord] & this.lastBit) !== 0) return at;
    }
    return -1;
  }
}

function setBit(bits: Uint32Array, j: number): void {
  bits[j >> 5] |= 1 << (j % 32);
}
