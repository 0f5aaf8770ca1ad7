/** What a {@link RunList} orders: by `receivedAt`, then by `seq` (arrival in this store). */
export interface Ordered {
  receivedAt: number;
  seq: number;
}

const before = (a: Ordered, b: Ordered) => a.receivedAt < b.receivedAt || (a.receivedAt === b.receivedAt && a.seq < b.seq);

/**
 * Runs sorted oldest to newest, for listing a page without scanning: a cursor or a time bound is
 * found by binary search, then a page is read backwards.
 * perf: new runs are the newest, so adding one is a push; evicting the oldest moves a head index
 * (no Array#shift); only a run that changes status in the middle of the list costs a splice.
 */
export class RunList<T extends Ordered> {
  private items: Array<T | undefined> = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  add(item: T): void {
    const { items } = this;
    const last = items[items.length - 1];
    if (this.size === 0 || before(last!, item)) items.push(item);
    else items.splice(this.lowerBound(item.receivedAt, item.seq), 0, item);
  }

  remove(item: T): void {
    const { items } = this;
    if (items[items.length - 1] === item) {
      items.pop();
    } else if (items[this.head] === item) {
      items[this.head++] = undefined;
      if (this.head > 1_024 && this.head * 2 > items.length) {
        this.items = items.slice(this.head);
        this.head = 0;
      }
    } else {
      const index = this.lowerBound(item.receivedAt, item.seq);
      if (items[index] === item) items.splice(index, 1);
    }
    if (this.size === 0) {
      this.items = [];
      this.head = 0;
    }
  }

  oldest(): T | undefined {
    return this.size === 0 ? undefined : this.items[this.head];
  }

  /** Index of the first item at or after (`receivedAt`, `seq`). */
  lowerBound(receivedAt: number, seq: number): number {
    const { items } = this;
    let low = this.head;
    let high = items.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const item = items[mid]!;
      if (item.receivedAt < receivedAt || (item.receivedAt === receivedAt && item.seq < seq)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /**
   * Newest first: the items strictly before `cursor` (or all), received within [`since`, `until`],
   * stopping after `limit` matches of `accept`. Returns them and whether more may follow.
   */
  page(bounds: { since?: number; until?: number; cursor?: Ordered }, limit: number, accept?: (item: T) => boolean): { items: T[]; more: boolean } {
    const { items } = this;
    let index = this.lowerBound(bounds.until === undefined ? Infinity : bounds.until + 1, 0) - 1;
    if (bounds.cursor) index = Math.min(index, this.lowerBound(bounds.cursor.receivedAt, bounds.cursor.seq) - 1);
    const since = bounds.since ?? -Infinity;
    const found: T[] = [];
    for (; index >= this.head; index--) {
      const item = items[index]!;
      if (item.receivedAt < since) return { items: found, more: false };
      if (accept && !accept(item)) continue;
      if (found.length === limit) return { items: found, more: true };
      found.push(item);
    }
    return { items: found, more: false };
  }

  /** Items received within [`since`, `until`]: two binary searches. */
  countBetween(since: number | undefined, until: number | undefined): number {
    const end = this.lowerBound(until === undefined ? Infinity : until + 1, 0);
    const start = since === undefined ? this.head : this.lowerBound(since, 0);
    return Math.max(0, end - start);
  }
}
