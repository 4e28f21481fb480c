/**
 * Group commit: items that arrive while a batch is being written wait and go together in the next one,
 * so throughput pays one durable commit per batch instead of one per item, while an item that arrives
 * alone is written at once (latency stays one commit). At most one batch is in flight, which keeps the
 * write order equal to the arrival order.
 */
export class GroupCommitter<I, O> {
  private queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private busy = false;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly writeBatch: (items: readonly I[]) => Promise<readonly O[]>,
    private readonly maxBatch = 1000,
    private readonly onBatch?: (size: number, seconds: number) => void,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Items waiting or being written. */
  get pending(): number {
    return this.queue.length + (this.busy ? 1 : 0);
  }

  /** Resolves when nothing is queued or in flight (for graceful shutdown). */
  drained(): Promise<void> {
    if (!this.busy && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private schedule(): void {
    if (this.busy || this.scheduled) return;
    this.scheduled = true;
    // setImmediate, not a microtask: lets every frame already read from the sockets join this batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.busy) return;
    if (this.queue.length === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    this.busy = true;
    const batch = this.queue.splice(0, this.maxBatch);
    const started = performance.now();
    try {
      const out = await this.writeBatch(batch.map((b) => b.item));
      if (out.length !== batch.length)
        throw new Error(`batch writer returned ${out.length} results for ${batch.length} items`);
      this.onBatch?.(batch.length, (performance.now() - started) / 1000);
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(out[i]!);
    } catch (e) {
      for (const b of batch) b.reject(e);
    } finally {
      this.busy = false;
    }
    if (this.queue.length > 0) this.schedule();
    else for (const w of this.idleWaiters.splice(0)) w();
  }
}
