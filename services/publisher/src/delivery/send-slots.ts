/** Who goes first when every slot is taken: notices and test events never wait behind payloads. */
export type SendPriority = 'urgent' | 'normal';

/** Gives a slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

/** Told its slot's release once the slot is the caller's. */
export type TakeSlot = (release: ReleaseSlot) => void;

/**
 * A counting semaphore with two FIFO queues: the requests one publisher instance has in flight
 * to the egress proxy. Waiters are served in arrival order, urgent ones before any normal one;
 * a released slot passes straight to the next waiter, so nobody who arrives later overtakes.
 */
export class SendSlots {
  private free: number;
  private readonly urgent = new Fifo<TakeSlot>();
  private readonly normal = new Fifo<TakeSlot>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.free = capacity;
  }

  /**
   * Calls `take` with a release once a slot is this caller's, always on a later microtask. A
   * waiter is only its callback: ten thousand lanes waiting on a promise here held about 1.6 KiB
   * each of suspended async frames (issue 16, a heap snapshot of the publisher).
   */
  whenFree(priority: SendPriority, take: TakeSlot): void {
    if (this.free > 0) {
      this.free -= 1;
      this.hand(take);
      return;
    }
    (priority === 'urgent' ? this.urgent : this.normal).push(take);
  }

  /** Callers waiting for a slot. */
  get waiting(): number {
    return this.urgent.size + this.normal.size;
  }

  get inUse(): number {
    return this.capacity - this.free;
  }

  private releaser(): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.urgent.shift() ?? this.normal.shift();
      if (next) this.hand(next);
      else this.free += 1;
    };
  }

  /** Not within the giver's call: a release inside one lane's `finally` must not run another lane's work there. */
  private hand(take: TakeSlot): void {
    const release = this.releaser();
    queueMicrotask(() => take(release));
  }
}

/** A queue with O(1) shift (tens of thousands of lanes can wait at once). */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head += 1;
    // Compact once the consumed prefix dominates, so memory follows the queue's length.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
