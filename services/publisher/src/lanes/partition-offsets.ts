/**
 * Which offsets of one partition may be committed. Records are accepted in offset order and
 * settle in any order (endpoints deliver independently); the commit point is the first
 * offset not yet settled, so a crash re-reads every record that was not finished.
 */
export class PartitionOffsets {
  private readonly open: number[] = [];
  private head = 0;
  private readonly settledSet = new Set<number>();
  private nextToRead: number | undefined;

  /**
   * Takes the next record read; false for one read before. After the group rebalances, kafkajs
   * reads a partition it keeps again from its committed offset, and those records are in this
   * instance's lanes already: accepted twice, they were batched again under new ids, and an
   * offset settled twice stalled the commit point for good.
   */
  accept(offset: number): boolean {
    if (this.nextToRead !== undefined && offset < this.nextToRead) return false;
    this.open.push(offset);
    this.nextToRead = offset + 1;
    return true;
  }

  settle(offset: number): void {
    this.settledSet.add(offset);
    while (this.head < this.open.length && this.settledSet.has(this.open[this.head]!)) {
      this.settledSet.delete(this.open[this.head]!);
      this.head++;
    }
    // Compact now and then, not on every settle.
    if (this.head > 1024 && this.head * 2 > this.open.length) {
      this.open.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Records accepted and not yet settled. */
  get pending(): number {
    return this.open.length - this.head;
  }

  /** The offset to commit (the next record a new owner must read), or undefined before any record. */
  commitPoint(): number | undefined {
    return this.head < this.open.length ? this.open[this.head] : this.nextToRead;
  }
}
