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

  accept(offset: number): void {
    this.open.push(offset);
    this.nextToRead = offset + 1;
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
