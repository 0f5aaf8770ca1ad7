import { ByteRegions } from "./byte-regions";
import { hashOf } from "./hash";

/**
 * String keys in arrival order, found by value, dropped oldest first: the run store's run ids and
 * delivery ids, the memory runner's recently seen deliveries. Several entries may share a key.
 *
 * perf: a `Map` of strings that keeps each new key for a while makes every key a young object
 * that survives (copied twice on its way to the old generation, then traced), and a `Map` that
 * drops its oldest entry on every insert skips ever more deleted entries in `keys().next()` until
 * it rehashes. Here keys are UTF-8 bytes in off-heap segments, found through an open-addressing
 * table of Int32 (linear probing, backward-shift deletion); an entry carries one number (`value`)
 * and, optionally, a short text (`text`), also kept as bytes.
 *
 * Entries are numbered by arrival (`entry`); the live ones are the range [`first`, `last`].
 *
 * perf: an entry is hashed and put in the table only when something looks a key up (`find`,
 * `findAll`, `placeAll`), all the entries added since at once. The run store adds an id for every
 * run and, at its default retention, drops most of them before anyone looks one up: those are
 * never hashed, placed or unplaced (a random table line each, on a path whose lines the HTTP stack
 * keeps evicting).
 */
export class KeyRing {
  first = 1;
  last = 0;
  /** Entries up to this one are in the table (from `first`); those after it are not yet. */
  private placed = 0;
  private capacity = 0;
  private mask = 0;
  private readonly maxCapacity: number;
  private hashes!: Int32Array;
  private values!: Float64Array;
  /** Per entry: key region (id, offset, length), text region (id, offset, length). */
  private addresses!: Int32Array;
  /**
   * The hash table: an entry's ring slot + 1 in the low bits (`tableMask`: the table has twice as
   * many positions as the ring has slots, so slot + 1 fits), the high bits of its key's hash above
   * them (those the position does not use); 0 is empty. perf: a probe passing an entry of another key is answered
   * from the table alone, without reading that entry's hash: one cache miss fewer per probe in a
   * table of 100,000 delivery ids.
   */
  private table!: Int32Array;
  private tableMask = 0;
  private readonly bytes: ByteRegions;

  /** `maxEntries`: the most entries ever live at once (the owner drops the oldest before adding more). */
  constructor(maxEntries: number, segmentBytes = 65_536) {
    this.maxCapacity = 2 ** Math.ceil(Math.log2(Math.max(2, maxEntries)));
    this.allocate(Math.min(this.maxCapacity, 1_024));
    this.bytes = new ByteRegions(segmentBytes);
  }

  /** Fresh (empty) arrays and table for `capacity` entries. */
  private allocate(capacity: number): void {
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.hashes = new Int32Array(capacity);
    this.values = new Float64Array(capacity);
    this.addresses = new Int32Array(capacity * 6);
    this.table = new Int32Array(capacity * 2);
    this.tableMask = capacity * 2 - 1;
  }

  get size(): number {
    return this.last - this.first + 1;
  }

  /** Adds an entry for `key` (after the owner dropped what had to go) and returns its number. */
  add(key: string, value: number, text?: string): number {
    if (this.size >= this.capacity) {
      if (this.capacity < this.maxCapacity) this.grow();
      else this.dropOldest();
    }
    const entry = ++this.last;
    const slot = entry & this.mask;
    // perf: a key looked up (not found) just before it is added keeps the hash it was probed with;
    // any other is hashed when it is placed (0: not yet).
    this.hashes[slot] = key === this.probeKey ? this.probeHash : 0;
    this.values[slot] = value;
    const base = slot * 6;
    this.bytes.write(entry, key);
    this.addresses[base] = this.bytes.id;
    this.addresses[base + 1] = this.bytes.offset;
    this.addresses[base + 2] = this.bytes.length;
    if (text === undefined) this.addresses[base + 3] = -1;
    else {
      this.bytes.write(entry, text);
      this.addresses[base + 3] = this.bytes.id;
      this.addresses[base + 4] = this.bytes.offset;
      this.addresses[base + 5] = this.bytes.length;
    }
    return entry;
  }

  /** Puts every entry added since the last lookup in the table. */
  placeAll(): void {
    if (this.placed < this.first - 1) this.placed = this.first - 1;
    for (let entry = this.placed + 1; entry <= this.last; entry++) {
      const slot = entry & this.mask;
      if (this.hashes[slot] === 0) {
        const base = slot * 6;
        this.hashes[slot] = this.bytes.hash(this.addresses[base]!, this.addresses[base + 1]!, this.addresses[base + 2]!);
      }
      this.place(slot, this.hashes[slot]!);
    }
    this.placed = this.last;
  }

  /** Drops the oldest entry. */
  dropOldest(): void {
    if (this.last < this.first) return;
    const slot = this.first & this.mask;
    if (this.first <= this.placed) this.unplace(slot);
    this.first++;
    this.bytes.release(this.first);
  }

  /** The newest live entry whose key is `key`, or -1. */
  find(key: string): number {
    let found = -1;
    for (let at = this.probe(key); at >= 0; at = this.next(at)) {
      const entry = this.entryAt((this.table[at]! & this.tableMask) - 1);
      if (entry > found) found = entry;
    }
    return found;
  }

  /** Every live entry whose key is `key`, in no particular order. */
  findAll(key: string, into: number[]): number[] {
    for (let at = this.probe(key); at >= 0; at = this.next(at)) into.push(this.entryAt((this.table[at]! & this.tableMask) - 1));
    return into;
  }

  /** Whether the entry's key is `key` as kept (its UTF-8 bytes). */
  keyIs(entry: number, key: string): boolean {
    const base = (entry & this.mask) * 6;
    return this.bytes.equalsText(this.addresses[base]!, this.addresses[base + 1]!, this.addresses[base + 2]!, key);
  }

  value(entry: number): number {
    return this.values[entry & this.mask]!;
  }

  key(entry: number): string {
    const base = (entry & this.mask) * 6;
    return this.bytes.text(this.addresses[base]!, this.addresses[base + 1]!, this.addresses[base + 2]!);
  }

  /** The entry's text, or `undefined` when it was given none. */
  text(entry: number): string | undefined {
    const base = (entry & this.mask) * 6;
    return this.addresses[base + 3]! < 0 ? undefined : this.bytes.text(this.addresses[base + 3]!, this.addresses[base + 4]!, this.addresses[base + 5]!);
  }

  // The key being looked up, and its hash.
  private probeKey = "";
  private probeHash = hashOf("");

  /** The first table position holding `key`, or -1. */
  private probe(key: string): number {
    if (this.last < this.first) return -1;
    if (this.placed < this.last) this.placeAll();
    this.probeKey = key;
    this.probeHash = hashOf(key);
    return this.scan(this.probeHash & this.tableMask);
  }

  /** The next table position after `at` holding the probed key, or -1. */
  private next(at: number): number {
    return this.scan((at + 1) & this.tableMask);
  }

  private scan(from: number): number {
    const { table, tableMask, hashes, addresses, probeHash } = this;
    const tag = probeHash & ~tableMask;
    for (let at = from; table[at] !== 0; at = (at + 1) & tableMask) {
      const held = table[at]!;
      if ((held & ~tableMask) !== tag) continue;
      const slot = (held & tableMask) - 1;
      if (hashes[slot] !== probeHash) continue;
      const base = slot * 6;
      if (this.bytes.equalsText(addresses[base]!, addresses[base + 1]!, addresses[base + 2]!, this.probeKey)) return at;
    }
    return -1;
  }

  /** The live entry in ring slot `slot`. */
  private entryAt(slot: number): number {
    return this.first + ((slot - this.first) & this.mask);
  }

  private place(slot: number, hash: number): void {
    const { table, tableMask } = this;
    let at = hash & tableMask;
    while (table[at] !== 0) at = (at + 1) & tableMask;
    table[at] = (hash & ~tableMask) | (slot + 1);
  }

  /** Removes ring slot `slot` from the table, shifting back what its removal would cut off. */
  private unplace(slot: number): void {
    const { table, tableMask, hashes } = this;
    let at = hashes[slot]! & tableMask;
    while ((table[at]! & tableMask) !== slot + 1) {
      if (table[at] === 0) return;
      at = (at + 1) & tableMask;
    }
    let hole = at;
    for (let next = (hole + 1) & tableMask; table[next] !== 0; next = (next + 1) & tableMask) {
      const home = hashes[(table[next]! & tableMask) - 1]! & tableMask;
      // The entry at `next` may move into the hole unless its home lies cyclically in (hole, next].
      if ((next > hole && (home <= hole || home > next)) || (next < hole && home <= hole && home > next)) {
        table[hole] = table[next]!;
        hole = next;
      }
    }
    table[hole] = 0;
  }

  private grow(): void {
    const { hashes, values, addresses, mask } = this;
    this.allocate(this.capacity * 2);
    for (let entry = this.first; entry <= this.last; entry++) {
      const from = entry & mask;
      const to = entry & this.mask;
      this.hashes[to] = hashes[from]!;
      this.values[to] = values[from]!;
      this.addresses.set(addresses.subarray(from * 6, from * 6 + 6), to * 6);
      if (entry <= this.placed) this.place(to, hashes[from]!);
    }
  }
}
