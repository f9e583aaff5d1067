import { SnapshotFlights } from './snapshot-flights';

/** A read that resolves when told to, recording when it started (the n-th read) and for which lines. */
function controlledReads() {
  const started: { lines: string[]; finish: (value: string) => void; fail: (error: Error) => void }[] = [];
  const read = (lines: readonly string[]) =>
    new Promise<string>((finish, fail) => {
      started.push({ lines: [...lines], finish, fail });
    });
  return { started, read };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SnapshotFlights: one queue snapshot read per line set at a time', () => {
  it('sockets asking together share one read; the line order does not matter', async () => {
    const { started, read } = controlledReads();
    const flights = new SnapshotFlights(read);
    const answers = Promise.all([flights.get(['sales', 'service']), flights.get(['service', 'sales'])]);
    await tick();
    expect(started).toHaveLength(1);
    started[0].finish('A');
    await expect(answers).resolves.toEqual(['A', 'A']);
    expect(flights.reads).toBe(1);
  });

  it('a socket asking during a read gets the next one, started after that read ends, shared with the others asking meanwhile', async () => {
    const { started, read } = controlledReads();
    const flights = new SnapshotFlights(read);
    const first = flights.get(['sales']);
    await tick();
    expect(started).toHaveLength(1);
    const later = [flights.get(['sales']), flights.get(['sales']), flights.get(['sales'])];
    await tick();
    expect(started).toHaveLength(1); // the next read waits for the current one
    started[0].finish('old');
    await expect(first).resolves.toBe('old');
    await tick();
    expect(started).toHaveLength(2);
    started[1].finish('new');
    await expect(Promise.all(later)).resolves.toEqual(['new', 'new', 'new']);
    expect(flights.reads).toBe(2);
  });

  it('line sets are read separately; a failed read fails its askers only, and the next ask reads again', async () => {
    const { started, read } = controlledReads();
    const flights = new SnapshotFlights(read);
    const sales = flights.get(['sales']);
    const service = flights.get(['service']);
    await tick();
    expect(started.map((s) => s.lines)).toEqual([['sales'], ['service']]);
    started[0].fail(new Error('database down'));
    started[1].finish('S');
    await expect(sales).rejects.toThrow('database down');
    await expect(service).resolves.toBe('S');
    const again = flights.get(['sales']);
    await tick();
    expect(started).toHaveLength(3);
    started[2].finish('back');
    await expect(again).resolves.toBe('back');
  });
});
