/** Who goes first when every slot is taken: notices and test events never wait behind payloads. */
export type SendPriority = 'urgent' | 'normal';

/** Gives a slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

/**
 * A counting semaphore with two FIFO queues: the requests one publisher instance has in flight
 * to the egress proxy. Waiters are served in arrival order, urgent ones before any normal one;
 * a released slot passes straight to the next waiter, so nobody who arrives later overtakes.
 */
export class SendSlots {
  private free: number;
  private readonly urgent = new Fifo<() => void>();
  private readonly normal = new Fifo<() => void>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.free = capacity;
  }

  /** Resolves with a release once a slot is this caller's. */
  acquire(priority: SendPriority): Promise<ReleaseSlot> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => (priority === 'urgent' ? this.urgent : this.normal).push(() => resolve(this.releaser())));
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
      if (next) next();
      else this.free += 1;
    };
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
