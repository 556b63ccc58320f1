import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

/** What HeapPressure reads, in bytes: V8's old generation in use, and the heap's limit. */
export interface HeapReading {
  oldGenerationUsed: number;
  heapLimit: number;
}

/** The young generation is left out: it is mostly garbage, and a scavenge empties it many times a second. */
const YOUNG_SPACES = new Set(['new_space', 'new_large_object_space']);

export function readHeap(): HeapReading {
  const oldGenerationUsed = getHeapSpaceStatistics().reduce((sum, s) => (YOUNG_SPACES.has(s.space_name) ? sum : sum + s.space_used_size), 0);
  return { oldGenerationUsed, heapLimit: getHeapStatistics().heap_size_limit };
}

/**
 * Whether this process' heap is too full to take in more records. The lanes' count bound
 * (`LANES_MAX_PENDING_RECORDS`) is what memory allows for typical events; what a record really
 * costs depends on its event's size and on how many endpoints share it, so a partition also
 * stops fetching when the old generation passes `pauseAtPercent` of the heap's limit, and may
 * fetch again only once it is ten points below: a full heap stops V8 with an out-of-memory
 * error, losing the deliveries in flight, where a pause only delays.
 */
export class HeapPressure {
  private full = false;

  /** `read`: how the heap is measured; `onFull`: told each time the heap becomes too full. */
  constructor(
    private readonly pauseAtPercent: number,
    private readonly hooks: { read?: () => HeapReading; onFull?: () => void } = {},
  ) {}

  /** True from the moment the heap passes the pause level until it is back below the resume level. */
  tooFull(): boolean {
    const { oldGenerationUsed, heapLimit } = (this.hooks.read ?? readHeap)();
    const percent = (oldGenerationUsed / heapLimit) * 100;
    const was = this.full;
    this.full = was ? percent >= this.pauseAtPercent - 10 : percent >= this.pauseAtPercent;
    if (this.full && !was) this.hooks.onFull?.();
    return this.full;
  }
}
