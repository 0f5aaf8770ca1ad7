import { Buffer } from "node:buffer";
import { mixed, unitsHash } from "./hash";

/**
 * Where the in-memory run store keeps the bytes of its records (payloads, request metadata,
 * results): copied into a few large off-heap segments instead of kept as strings and objects.
 *
 * perf: a record kept as JavaScript objects survives scavenges, is copied twice on its way to the
 * old generation and is traced by every major GC for as long as it is retained; under load that
 * garbage-collector work cost more than the rest of the pipeline. Bytes in an ArrayBuffer are never
 * traced or copied by the GC: writing a record is a memcpy, and dropping one is bookkeeping.
 *
 * Regions are appended to the open segment; a segment is recycled once every run that wrote into it
 * has been dropped (runs are dropped oldest first, so segments free up in order). A region too
 * large for a segment gets a buffer of its own.
 */
export class ByteRegions {
  private readonly segments: Array<Segment | undefined> = [];
  private readonly freeIds: number[] = [];
  /** Closed segments in the order they were closed: they free up in (about) that order. */
  private readonly closed: number[] = [];
  private closedHead = 0;
  private readonly spare: Buffer[] = [];
  private open = -1;

  constructor(private readonly segmentBytes: number) {}

  // perf: where the last write went, read by the caller into its typed arrays: no object per write.
  id = -1;
  offset = 0;
  length = 0;

  /** Writes `data` for the run `seq`; its address is then in `id`, `offset` and `length` (`id` -1: nothing written). */
  write(seq: number, data: Uint8Array | string): void {
    const length = typeof data === "string" ? (data.length === 0 ? 0 : -1) : data.byteLength;
    if (length === 0) return this.at(-1, 0, 0);
    // A string's UTF-8 length is at most 3 bytes per UTF-16 unit: room for that is room enough.
    const room = typeof data === "string" ? data.length * 3 : length;
    if (room > this.segmentBytes >> 2) return this.writeOwn(seq, data);
    let segment = this.open >= 0 ? this.segments[this.open]! : undefined;
    if (!segment || segment.used + room > segment.buffer.byteLength) segment = this.openSegment();
    const offset = segment.used;
    let written = length;
    if (typeof data === "string") written = data.length <= SHORT_TEXT ? writeShort(segment.buffer, data, offset) : segment.buffer.write(data, offset);
    else segment.buffer.set(data, offset);
    segment.used += written;
    if (seq > segment.maxSeq) segment.maxSeq = seq;
    this.at(this.open, offset, written);
  }

  /**
   * The open segment's buffer, for a region written in place from `offset` up to the buffer's end;
   * then {@link commit} with where it ended, or nothing to leave the segment as it was. perf: what
   * is encoded straight into a segment needs no buffer of its own in between.
   */
  reserve(): Buffer {
    const segment = this.open >= 0 ? this.segments[this.open]! : this.openSegment();
    this.offset = segment.used;
    return segment.buffer;
  }

  /** Keeps what was written in place since {@link reserve}, up to `end`, for the run `seq`. */
  commit(seq: number, end: number): void {
    const segment = this.segments[this.open]!;
    const offset = segment.used;
    segment.used = end;
    if (seq > segment.maxSeq) segment.maxSeq = seq;
    this.at(this.open, offset, end - offset);
  }

  /** The bytes at an address {@link write} gave, as text. */
  text(id: number, offset: number, length: number): string {
    if (id < 0 || length === 0) return "";
    return this.segments[id]!.buffer.toString("utf8", offset, offset + length);
  }

  /**
   * `hashOf` (flat/hash.ts) of the text at an address. perf: ASCII is hashed from the bytes (FNV-1a
   * over them is FNV-1a over the code units), with no string made; anything else is decoded first.
   */
  hash(id: number, offset: number, length: number): number {
    if (id < 0 || length === 0) return unitsHash("");
    const buffer = this.segments[id]!.buffer;
    let fnv = 0x811c9dc5;
    for (let index = offset; index < offset + length; index++) {
      const byte = buffer[index]!;
      if (byte >= 0x80) return unitsHash(buffer.toString("utf8", offset, offset + length));
      fnv = Math.imul(fnv ^ byte, 0x01000193);
    }
    return mixed(fnv);
  }

  /**
   * Whether the bytes at an address are the UTF-8 of `text`. perf: ASCII (ids almost always are)
   * is compared here, byte by code unit, without encoding `text`; anything else is encoded.
   */
  equalsText(id: number, offset: number, length: number, text: string): boolean {
    if (id < 0) return text.length === 0;
    const buffer = this.segments[id]!.buffer;
    if (length === text.length) {
      let index = 0;
      for (; index < length; index++) {
        const unit = text.charCodeAt(index);
        if (unit >= 0x80) break;
        if (buffer[offset + index] !== unit) return false;
      }
      if (index === length) return true;
    } else if (length < text.length) return false;
    const bytes = Buffer.from(text, "utf8");
    return bytes.compare(buffer, offset, offset + length) === 0;
  }

  /** Recycles every segment whose runs are all older than `firstSeq` (dropped). */
  release(firstSeq: number): void {
    const { closed } = this;
    while (this.closedHead < closed.length) {
      const id = closed[this.closedHead]!;
      const segment = this.segments[id]!;
      if (segment.maxSeq >= firstSeq) break;
      this.closedHead++;
      this.segments[id] = undefined;
      this.freeIds.push(id);
      // perf: every freed segment of the standard size is kept for the next one to open. A fresh
      // off-heap buffer per segment grows V8's external memory until a full (mark-compact) GC
      // frees the old ones, and that growth is what triggers those GCs: with 64 KiB payloads, one
      // every few hundred requests. The spares are bounded by the most segments ever in use.
      if (segment.buffer.byteLength === this.segmentBytes) this.spare.push(segment.buffer);
    }
    if (this.closedHead > 256 && this.closedHead * 2 > closed.length) {
      closed.splice(0, this.closedHead);
      this.closedHead = 0;
    }
  }

  private openSegment(): Segment {
    if (this.open >= 0) this.closed.push(this.open);
    const buffer = this.spare.pop() ?? Buffer.allocUnsafeSlow(this.segmentBytes);
    const segment: Segment = { buffer, used: 0, maxSeq: -1 };
    this.open = this.place(segment);
    return segment;
  }

  private writeOwn(seq: number, data: Uint8Array | string): void {
    // perf: a large body that is a whole buffer of its own (Buffer.concat's, arrayBuffer()'s) is
    // kept as it is: nothing else holds on to it or writes to it once the request is answered,
    // and copying 1 MiB per request was most of what records cost at that size.
    const buffer =
      typeof data === "string"
        ? Buffer.from(data, "utf8")
        : data.byteOffset === 0 && data.buffer.byteLength === data.byteLength
          ? Buffer.from(data.buffer, 0, data.byteLength)
          : Buffer.from(data);
    const id = this.place({ buffer, used: buffer.byteLength, maxSeq: seq });
    this.closed.push(id);
    this.at(id, 0, buffer.byteLength);
  }

  private at(id: number, offset: number, length: number): void {
    this.id = id;
    this.offset = offset;
    this.length = length;
  }

  private place(segment: Segment): number {
    const id = this.freeIds.pop() ?? this.segments.length;
    this.segments[id] = segment;
    return id;
  }
}

// perf: ids, delivery ids and request metadata are short ASCII: copied code unit by code unit,
// they skip the call into C++ that `Buffer#write` makes (~0.1-0.2 µs, most of a short write).
const SHORT_TEXT = 256;

/** Writes `text` as UTF-8 at `offset`; returns the bytes written. */
function writeShort(buffer: Buffer, text: string, offset: number): number {
  const length = text.length;
  for (let index = 0; index < length; index++) {
    const unit = text.charCodeAt(index);
    // Anything but ASCII: UTF-8 by Node, over what was copied so far.
    if (unit >= 0x80) return buffer.write(text, offset);
    buffer[offset + index] = unit;
  }
  return length;
}

interface Segment {
  buffer: Buffer;
  used: number;
  /** The newest run with bytes here: the segment is free once that run is dropped. */
  maxSeq: number;
}
