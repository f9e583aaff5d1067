/**
 * What a batch's statement hands back for one request: its result, or the error that refuses that request alone.
 * (A batch whose statement fails as a whole rejects every request in it.)
 */
export type BatchResult<Out> = Out | Error;

interface Waiting<In, Out> {
  input: In;
  resolve: (output: Out) => void;
  reject: (error: Error) => void;
}

/**
 * Requests served together by one statement: those made in the same tick, or while the previous batch's statement
 * runs, go in the next batch (at most `maxBatch` of them; a bigger burst takes several batches, one after the other,
 * in arrival order). One batch runs at a time, so under a storm the requests gather while PostgreSQL works and a
 * thousand callers cost a handful of round trips; a lone request waits only for the end of the tick.
 *
 * `run` gets the batch's inputs and answers with one result per input, in the same order: each caller gets exactly
 * its own, and an `Error` in its place rejects that caller alone (a revoked token among valid ones). `run` throwing,
 * or answering with the wrong number of results, rejects the whole batch. Outputs must therefore not be Errors.
 *
 * Used for the handshakes of a connect storm (token check, presence, held contacts, case notices): each a
 * per-socket query before, one statement per batch now.
 */
export class StatementBatcher<In, Out> {
  private readonly waiting: Waiting<In, Out>[] = [];
  private running = false;
  private scheduled = false;
  /** statements run since creation (one per batch): what the tests count */
  batches = 0;

  constructor(
    private readonly run: (inputs: readonly In[]) => Promise<readonly BatchResult<Out>[]>,
    private readonly maxBatch = 500,
  ) {}

  /**
   * A batcher of look-ups by id whose statement answers a map for the whole batch (an agent's held contacts, their
   * case notices): each caller gets its id's entry (ids compared in lower case, as PostgreSQL prints uuids), or
   * `missing()` when the statement found nothing for it.
   */
  static byId<Out>(
    read: (ids: readonly string[]) => Promise<ReadonlyMap<string, Out>>,
    missing: () => Out,
    maxBatch?: number,
  ): StatementBatcher<string, Out> {
    return new StatementBatcher<string, Out>(async (ids) => {
      const found = await read(ids);
      return ids.map((id) => found.get(id.toLowerCase()) ?? missing());
    }, maxBatch);
  }

  /** The request's own result, once the batch it joined has run. */
  submit(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.runNext();
    });
  }

  private async runNext(): Promise<void> {
    if (this.running || this.waiting.length === 0) return;
    this.running = true;
    const batch = this.waiting.splice(0, this.maxBatch);
    this.batches++;
    try {
      const results = await this.run(batch.map((w) => w.input));
      if (results.length !== batch.length)
        throw new Error(`a batch of ${batch.length} requests got ${results.length} results`);
      batch.forEach((waiting, index) => {
        const result = results[index];
        if (result instanceof Error) waiting.reject(result);
        else waiting.resolve(result);
      });
    } catch (error) {
      for (const waiting of batch) waiting.reject(error as Error);
    } finally {
      this.running = false;
      if (this.waiting.length > 0) this.schedule();
    }
  }
}
