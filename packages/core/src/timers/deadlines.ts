import { performance } from "node:perf_hooks";

/** What {@link Deadlines} keeps per entry: its links and when it expires. @internal */
export interface DeadlineEntry {
  deadlinePrev: DeadlineEntry | undefined;
  deadlineNext: DeadlineEntry | undefined;
  deadlineAt: number;
  /** Called once, when the entry is still held at its deadline. */
  expired(): void;
}

/**
 * Timeouts that all last `ms`, for many short-lived entries (running attempts, body reads) with ONE
 * timer: entries expire in the order they were added, so a linked list in that order and a timer
 * for its head are enough.
 * perf: adding and removing an entry is O(1) and touches no timer (a setTimeout + clearTimeout per
 * run cost more than a no-op run). The timer is unref'd while nothing is held, so an idle runner
 * keeps no process alive, and re-armed for the next head when it fires.
 * @internal
 */
export class Deadlines {
  private head: DeadlineEntry | undefined;
  private tail: DeadlineEntry | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private refed = false;
  private readonly fire = () => this.expire();

  constructor(private readonly ms: number) {}

  add(entry: DeadlineEntry): void {
    entry.deadlineAt = performance.now() + this.ms;
    entry.deadlinePrev = this.tail;
    entry.deadlineNext = undefined;
    if (this.tail) this.tail.deadlineNext = entry;
    else this.head = entry;
    this.tail = entry;
    if (this.timer === undefined) this.arm(entry.deadlineAt);
    else if (!this.refed) {
      // The timer is due at an older deadline: it fires early, then re-arms for this one.
      this.timer.ref();
      this.refed = true;
    }
  }

  remove(entry: DeadlineEntry): void {
    const { deadlinePrev: prev, deadlineNext: next } = entry;
    if (prev) prev.deadlineNext = next;
    else if (this.head === entry) this.head = next;
    else return; // not held (already removed or expired)
    if (next) next.deadlinePrev = prev;
    else this.tail = prev;
    entry.deadlinePrev = entry.deadlineNext = undefined;
    if (this.head === undefined && this.refed) {
      this.timer?.unref();
      this.refed = false;
    }
  }

  private arm(at: number): void {
    this.timerAt = at;
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(at - performance.now())));
    this.refed = true;
  }

  private expire(): void {
    this.timer = undefined;
    this.refed = false;
    // Timers may fire a little early by performance.now(); count the timer's own deadline as reached.
    const now = Math.max(performance.now(), this.timerAt);
    let entry = this.head;
    while (entry && entry.deadlineAt <= now) {
      this.remove(entry);
      entry.expired();
      entry = this.head;
    }
    if (this.head) this.arm(this.head.deadlineAt);
  }
}
