/**
 * Two fixes to kafkajs 2.2.4 (its last release; the project is unmaintained), applied to its
 * classes at run time because they live in its internals. Both were found by issue 16's
 * profiles; `fixKafkajs()` is called by the one client factory, so every client has them.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Cluster = require('kafkajs/src/cluster') as { prototype: ClusterInternals };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue') as { prototype: RequestQueueInternals };

interface Lookup {
  groupId: string;
  coordinatorType?: number;
}

interface ClusterInternals {
  findGroupCoordinatorMetadata(lookup: Lookup): Promise<unknown>;
}

interface RequestQueueInternals {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/**
 * How long a coordinator lookup is reused. A coordinator moves only when a broker fails or
 * partitions are reassigned; a request sent to the old one fails with NOT_COORDINATOR and
 * kafkajs retries it with backoff, so after this long the retry asks afresh.
 */
export const COORDINATOR_MEMORY_MS = 1_000;

/** kafkajs' own pause before a throttled connection's queue is checked again. */
const PENDING_CHECK_MS = 10;

const memory = Symbol('tidings.coordinators');
type Remembering = ClusterInternals & { [memory]?: Map<string, { answer: Promise<unknown>; until: number }> };

let installed = false;

export function fixKafkajs(): void {
  if (installed) return;
  installed = true;
  rememberCoordinators();
  stopIdleQueueLoop();
}

/**
 * kafkajs keeps no memory of coordinators: every transactional step (add partitions, add
 * offsets, commit offsets, end) first asks the broker which node coordinates the transaction
 * or the group, four extra round trips a transaction (FIND_COORDINATOR was the broker's most
 * frequent request at steady load). The one lookup they all go through gets a short memory.
 */
function rememberCoordinators(): void {
  const lookUp = Cluster.prototype.findGroupCoordinatorMetadata;
  Cluster.prototype.findGroupCoordinatorMetadata = function (this: Remembering, lookup: Lookup): Promise<unknown> {
    const remembered = (this[memory] ??= new Map());
    const key = `${lookup.coordinatorType ?? 0}|${lookup.groupId}`;
    const hit = remembered.get(key);
    if (hit && hit.until > Date.now()) return hit.answer;
    const answer = lookUp.call(this, lookup);
    remembered.set(key, { answer, until: Date.now() + COORDINATOR_MEMORY_MS });
    // A failed lookup is not remembered.
    answer.catch(() => remembered.get(key)?.answer === answer && remembered.delete(key));
    return answer;
  };
}

/**
 * With nothing pending and no throttle, kafkajs 2.2.4 still schedules a queue check with a
 * negative delay, which reschedules itself: a 1 ms timer loop per broker connection for the
 * life of the process (kafkajs issue 1556; the source of Node's TimeoutNegativeWarning). It was
 * most of every idle service's CPU. A check is needed only while requests wait: a request that
 * cannot go at once schedules one, and a finished request checks the queue itself.
 */
function stopIdleQueueLoop(): void {
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueInternals): void {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const throttledFor = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      throttledFor > 0 ? throttledFor : PENDING_CHECK_MS,
    );
  };
}
