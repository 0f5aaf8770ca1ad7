/**
 * A list of run sequence numbers sorted by (time, seq): one index of the in-memory run store (all
 * runs, the runs of a status, of a webhook...), in a typed array. `timeOf(seq)` gives a run's
 * time (its `receivedAt`), which must not change while the run is listed.
 *
 * perf: an index is touched on every status change of every run. Numbers in a Float64Array cost
 * the garbage collector nothing; runs mostly arrive, start and finish in order, so adding is an
 * append and removing the oldest moves a head index; anything else is a binary search and one
 * `copyWithin` (a memmove), never an allocation.
 */
export class SeqList {
  private items = new Float64Array(16);
  private head = 0;
  private tail = 0;

  constructor(private readonly timeOf: (seq: number) => number) {}

  /** Whether `a` sorts before `b`. */
  private before(a: number, b: number): boolean {
    const timeA = this.timeOf(a);
    const timeB = this.timeOf(b);
    return timeA < timeB || (timeA === timeB && a < b);
  }

  get size(): number {
    return this.tail - this.head;
  }

  add(seq: number): void {
    if (this.tail === this.items.length) this.makeRoom();
    const { items } = this;
    if (this.tail === this.head || this.before(items[this.tail - 1]!, seq)) {
      items[this.tail++] = seq;
      return;
    }
    const at = this.lowerBound(this.timeOf(seq), seq);
    if (items[at] === seq && at < this.tail) return;
    items.copyWithin(at + 1, at, this.tail);
    items[at] = seq;
    this.tail++;
  }

  remove(seq: number): void {
    const { items } = this;
    if (this.tail === this.head) return;
    if (items[this.head] === seq) this.head++;
    else if (items[this.tail - 1] === seq) this.tail--;
    else {
      const at = this.lowerBound(this.timeOf(seq), seq);
      if (at >= this.tail || items[at] !== seq) return;
      items.copyWithin(at, at + 1, this.tail);
      this.tail--;
    }
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  /** Position of the first item at or after (`time`, `seq`). */
  lowerBound(time: number, seq: number): number {
    const { items } = this;
    let low = this.head;
    let high = this.tail;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const item = items[mid]!;
      const itemTime = this.timeOf(item);
      if (itemTime < time || (itemTime === time && item < seq)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /**
   * Newest first: up to `limit` items received within [`since`, `until`] and strictly before
   * `cursor` (a time and seq), pushed onto `into`; then whether more follow.
   */
  page(since: number, until: number, cursor: { time: number; seq: number } | undefined, limit: number, into: number[]): boolean {
    const { items } = this;
    let index = this.lowerBound(until, Infinity) - 1;
    if (cursor) index = Math.min(index, this.lowerBound(cursor.time, cursor.seq) - 1);
    for (; index >= this.head; index--) {
      const seq = items[index]!;
      if (this.timeOf(seq) < since) return false;
      if (into.length === limit) return true;
      into.push(seq);
    }
    return false;
  }

  /** How many items were received within [`since`, `until`]: two binary searches. */
  countBetween(since: number, until: number): number {
    return Math.max(0, this.lowerBound(until, Infinity) - this.lowerBound(since, -Infinity));
  }

  private makeRoom(): void {
    const size = this.size;
    // Compact in place when at least half is free at the front, else grow.
    if (this.head * 2 >= this.items.length) this.items.copyWithin(0, this.head, this.tail);
    else {
      const grown = new Float64Array(this.items.length * 2);
      grown.set(this.items.subarray(this.head, this.tail));
      this.items = grown;
    }
    this.head = 0;
    this.tail = size;
  }
}
