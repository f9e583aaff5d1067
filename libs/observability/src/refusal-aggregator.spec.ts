import { Refusal, RefusalAggregator } from './refusal-aggregator';

function refusal(address: string, status = 401, actor = 'anonymous'): Refusal {
  return { address, actor, status, action: 'GET /v1/agents', requestId: `r-${address}` };
}

describe('RefusalAggregator', () => {
  let now = 0;
  let rows: { address: string; actor: string; status: number; count: number; requestId: string | null }[];
  let aggregator: RefusalAggregator;
  beforeEach(() => {
    now = 1_000_000;
    rows = [];
    aggregator = new RefusalAggregator(
      (r, count) =>
        rows.push({ address: r.address, actor: r.actor, status: r.status, count, requestId: r.requestId }),
      { windowMs: 60_000, maxKeys: 3 },
      () => now,
    );
  });

  it('writes the first refusal at once and the rest of the minute as one row when it closes', () => {
    for (let i = 0; i < 1000; i++) aggregator.add(refusal('203.0.113.1'));
    expect(rows).toEqual([
      { address: '203.0.113.1', actor: 'anonymous', status: 401, count: 1, requestId: 'r-203.0.113.1' },
    ]);
    now += 59_999;
    aggregator.sweep();
    expect(rows).toHaveLength(1);
    now += 1;
    aggregator.sweep();
    expect(rows[1]).toEqual({
      address: '203.0.113.1',
      actor: 'anonymous',
      status: 401,
      count: 999,
      requestId: null,
    });
    // the next minute starts a new window: its first refusal is written at once again
    aggregator.add(refusal('203.0.113.1'));
    expect(rows).toHaveLength(3);
    expect(rows[2].count).toBe(1);
  });

  it('keeps addresses, actors and statuses apart', () => {
    aggregator.add(refusal('203.0.113.1', 401));
    aggregator.add(refusal('203.0.113.1', 429));
    aggregator.add(refusal('203.0.113.2', 429, 'admin:abc'));
    expect(rows.map((r) => [r.address, r.status, r.actor])).toEqual([
      ['203.0.113.1', 401, 'anonymous'],
      ['203.0.113.1', 429, 'anonymous'],
      ['203.0.113.2', 429, 'admin:abc'],
    ]);
  });

  it('a window that saw one refusal writes nothing more when it closes; flush writes what is open', () => {
    aggregator.add(refusal('203.0.113.1'));
    aggregator.add(refusal('203.0.113.2'));
    aggregator.add(refusal('203.0.113.2'));
    now += 60_000;
    aggregator.flush();
    expect(rows.map((r) => [r.address, r.count])).toEqual([
      ['203.0.113.1', 1],
      ['203.0.113.2', 1],
      ['203.0.113.2', 1],
    ]);
  });

  it('past maxKeys, refusals from further addresses share one overflow entry: the rows stay bounded', () => {
    for (let i = 0; i < 500; i++) aggregator.add(refusal(`198.51.100.${i % 250}`));
    expect(rows).toHaveLength(4);
    expect(rows[3]).toMatchObject({ address: '*', actor: '*', count: 1 });
    aggregator.flush();
    const total = rows.reduce((sum, r) => sum + r.count, 0);
    expect(total).toBe(500);
    expect(rows.length).toBeLessThanOrEqual(8);
  });
});
