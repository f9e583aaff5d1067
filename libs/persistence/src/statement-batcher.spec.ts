import { StatementBatcher } from './statement-batcher';

/** A statement that records its batches and answers each input with its own result (or the refusal of it alone). */
function recording(answer: (input: number) => string | Error = (input) => `row ${input}`) {
  const batches: number[][] = [];
  let release: (() => void) | undefined;
  let hold = false;
  const batcher = new StatementBatcher<number, string>(async (inputs) => {
    batches.push([...inputs]);
    if (hold) await new Promise<void>((resolve) => (release = resolve));
    return inputs.map(answer);
  }, 4);
  return {
    batcher,
    batches,
    holdNext: () => (hold = true),
    releaseHeld: () => {
      hold = false;
      release?.();
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('StatementBatcher', () => {
  it('requests made in the same tick: one statement, each caller gets exactly its own result', async () => {
    const { batcher, batches } = recording();
    const results = await Promise.all([3, 1, 2].map((n) => batcher.submit(n)));
    expect(results).toEqual(['row 3', 'row 1', 'row 2']);
    expect(batches).toEqual([[3, 1, 2]]);
    expect(batcher.batches).toBe(1);
  });

  it('an Error in a request’s place refuses that request alone', async () => {
    const { batcher, batches } = recording((n) => (n === 2 ? new Error('revoked') : `ok ${n}`));
    const settled = await Promise.allSettled([1, 2, 3].map((n) => batcher.submit(n)));
    expect(settled).toEqual([
      { status: 'fulfilled', value: 'ok 1' },
      { status: 'rejected', reason: new Error('revoked') },
      { status: 'fulfilled', value: 'ok 3' },
    ]);
    expect(batches).toHaveLength(1);
  });

  it('requests made while a statement runs wait for it, then go together in the next one', async () => {
    const { batcher, batches, holdNext, releaseHeld } = recording();
    holdNext();
    const first = batcher.submit(1);
    await tick();
    expect(batches).toEqual([[1]]);
    const later = [2, 3, 4].map((n) => batcher.submit(n));
    await tick();
    await tick();
    expect(batches).toEqual([[1]]); // nothing started beside the statement in flight
    releaseHeld();
    expect(await first).toBe('row 1');
    expect(await Promise.all(later)).toEqual(['row 2', 'row 3', 'row 4']);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('a burst bigger than a batch is served in several, in arrival order', async () => {
    const { batcher, batches } = recording();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.submit(i)));
    expect(results).toEqual(Array.from({ length: 10 }, (_, i) => `row ${i}`));
    expect(batches).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it('a statement that fails rejects its whole batch, and the next batch still runs', async () => {
    let fail = true;
    const batcher = new StatementBatcher<number, number>((inputs) =>
      fail ? Promise.reject(new Error('connection lost')) : Promise.resolve(inputs.map((n) => n * 10)),
    );
    const settled = await Promise.allSettled([1, 2].map((n) => batcher.submit(n)));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await batcher.submit(3)).toBe(30);
  });

  it('a statement answering with the wrong number of results rejects its batch rather than misassigning rows', async () => {
    const batcher = new StatementBatcher<number, number>((inputs) => Promise.resolve(inputs.slice(1)));
    const settled = await Promise.allSettled([1, 2, 3].map((n) => batcher.submit(n)));
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
    expect((settled[0] as PromiseRejectedResult).reason).toEqual(
      new Error('a batch of 3 requests got 2 results'),
    );
  });

  it('byId: one read for the batch, each id its own entry (matched in lower case), nothing found is missing()', async () => {
    const reads: (readonly string[])[] = [];
    const batcher = StatementBatcher.byId<string[]>(
      (ids) => {
        reads.push(ids);
        return Promise.resolve(
          new Map([
            ['aa-01', ['first']],
            ['bb-02', ['second', 'third']],
          ]),
        );
      },
      () => [],
    );
    const results = await Promise.all(['AA-01', 'bb-02', 'cc-03'].map((id) => batcher.submit(id)));
    expect(results).toEqual([['first'], ['second', 'third'], []]);
    expect(reads).toEqual([['AA-01', 'bb-02', 'cc-03']]);
  });
});
