import { TetherMetrics } from './tether-metrics';

describe('TetherMetrics', () => {
  it('renders the process figures and its own in the Prometheus text format', async () => {
    const metrics = new TetherMetrics();
    metrics.offersMade.inc({ line: 'sales', reason: 'sticky' });
    metrics.webhookToOffer.observe({ line: 'sales' }, 0.042);
    const { contentType, body } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('# TYPE tether_offers_total counter');
    expect(body).toContain('tether_offers_total{line="sales",reason="sticky"} 1');
    expect(body).toContain('tether_webhook_to_offer_seconds_bucket{le="0.05",line="sales"} 1');
    expect(body).toMatch(/^tether_process_cpu_seconds_total \d/m);
    expect(body).toMatch(/^tether_nodejs_heap_size_used_bytes \d/m);
  });

  it('two instances do not share figures (no global registry)', async () => {
    const one = new TetherMetrics();
    const two = new TetherMetrics();
    one.offersExpired.inc({ line: 'service' });
    expect((await two.render()).body).not.toContain('tether_offers_expired_total{line="service"}');
  });

  it('a gauge is read at each scrape; one that fails keeps its last value and the scrape goes on', async () => {
    const metrics = new TetherMetrics();
    let waiting = 3;
    metrics.gauge('tether_test_waiting', 'waiting', ['line'], () =>
      Promise.resolve([{ labels: { line: 'sales' }, value: waiting }]),
    );
    let fail = false;
    metrics.gauge('tether_test_flaky', 'flaky', [], () =>
      fail ? Promise.reject(new Error('database down')) : Promise.resolve([{ value: 7 }]),
    );
    expect((await metrics.render()).body).toContain('tether_test_waiting{line="sales"} 3');
    waiting = 1;
    fail = true;
    const body = (await metrics.render()).body;
    expect(body).toContain('tether_test_waiting{line="sales"} 1');
    expect(body).toMatch(/^tether_test_flaky 7$/m);
  });
});
