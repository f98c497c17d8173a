/**
 * The stream sequences a durable stream acknowledged, as ranges of consecutive sequences: a
 * consumer of every event of a stream keeps one range, however long it runs. Bounded: past
 * `maxRanges` (sparse sequences, e.g. a pattern the broker filters) the lowest ranges are forgotten.
 */
export class AckedSequences {
  /** Sorted, disjoint, not adjacent: [from, to] inclusive. */
  #ranges: Array<[number, number]> = [];
  readonly #maxRanges: number;

  constructor(maxRanges = 4096) {
    this.#maxRanges = Math.max(1, maxRanges);
  }

  has(sequence: number): boolean {
    const i = this.#index(sequence);
    const r = this.#ranges[i];
    return r !== undefined && r[0] <= sequence;
  }

  add(sequence: number): void {
    const ranges = this.#ranges;
    const last = ranges[ranges.length - 1];
    // Acknowledged in order, the usual case: the last range grows.
    if (last !== undefined && sequence === last[1] + 1) {
      last[1] = sequence;
      return;
    }
    const i = this.#index(sequence);
    const at = ranges[i];
    if (at !== undefined && at[0] <= sequence) return;
    const before = ranges[i - 1];
    const joinsBefore = before !== undefined && before[1] + 1 === sequence;
    const joinsAfter = at !== undefined && at[0] - 1 === sequence;
    if (joinsBefore && joinsAfter) {
      before[1] = at[1];
      ranges.splice(i, 1);
    } else if (joinsBefore) before[1] = sequence;
    else if (joinsAfter) at[0] = sequence;
    else ranges.splice(i, 0, [sequence, sequence]);
    if (ranges.length > this.#maxRanges) ranges.shift();
  }

  /** The first range whose end is at or above `sequence` (ranges.length if none). */
  #index(sequence: number): number {
    let lo = 0;
    let hi = this.#ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#ranges[mid]![1] < sequence) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
