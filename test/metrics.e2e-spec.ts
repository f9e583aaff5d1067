import { expect } from '@jest/globals';
import {
  type Tether,
  TestFloor,
  TETHER_APPS,
  freePort,
  httpJson,
  startTether,
  waitFor,
} from '@tether/testing';

/** `value` of the sample `series` (name with its labels, exactly as exposed), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/**
 * Prometheus `/metrics` on every app, in the text format, unauthenticated; the routing figures move as calls flow;
 * with TETHER_METRICS_PORT the figures move to that port.
 */
describe('/metrics', () => {
  let tether: Tether;
  let floor: TestFloor;

  beforeAll(async () => {
    tether = await startTether();
    floor = new TestFloor(tether);
  });
  afterEach(() => floor?.clear());
  afterAll(() => tether?.stop());

  const scrape = async (app: (typeof TETHER_APPS)[number] = 'admin') => {
    const response = await httpJson<string>(`${tether.urls[app]}/metrics`, { method: 'GET' });
    expect(response.status).toBe(200);
    return response.text;
  };

  it('every app answers in the Prometheus text format, with the process and HTTP figures, without credentials', async () => {
    for (const app of TETHER_APPS) {
      const response = await httpJson(`${tether.urls[app]}/metrics`, { method: 'GET' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(response.text).toMatch(/^# TYPE tether_process_cpu_seconds_total counter$/m);
      expect(response.text).toMatch(/^# TYPE tether_webhook_to_offer_seconds histogram$/m);
    }
    await floor.admin.request('GET', '/v1/agents');
    expect(
      sample(
        await scrape(),
        'tether_http_requests_total{app="admin",method="GET",route="/v1/agents",status="200"}',
      ),
    ).toBeGreaterThanOrEqual(1);
  });

  it('the routing figures move when calls flow: waiting, offers by reason, webhook to offer, expiries, agents', async () => {
    await floor.rules('service', { offerTimeoutSeconds: 1 });
    const before = await scrape('service');
    const offers = (text: string) => sample(text, 'tether_offers_total{line="service",reason="skills"}') ?? 0;
    const firstOffers = (text: string) =>
      sample(text, 'tether_webhook_to_offer_seconds_count{line="service"}') ?? 0;
    const expired = (text: string) => sample(text, 'tether_offers_expired_total{line="service"}') ?? 0;

    const waiting = await floor.call('service');
    expect(sample(await scrape('gateway'), 'tether_contacts_waiting{line="service"}')).toBe(1);
    expect(
      sample(
        await scrape('service'),
        'tether_http_requests_total{app="service",method="POST",route="/v1/telephony/calls",status="201"}',
      ),
    ).toBeGreaterThanOrEqual(1);

    const sleepy = await floor.agent({ lines: ['service'] });
    expect(sample(await scrape(), 'tether_agents_connected')).toBe(1);
    await sleepy.nextOffer();
    await sleepy.nextRevoked(5_000); // not answered within 1 s
    const agent = await floor.agent({ lines: ['service'] });
    const offer = await agent.nextOffer();
    expect(offer.contact.id).toBe(waiting.contactId);
    expect((await agent.accept(offer.offerId)).ok).toBe(true);

    const after = await waitFor(
      async () => {
        const text = await scrape('presales');
        return offers(text) >= offers(before) + 2 && expired(text) >= expired(before) + 1 ? text : undefined;
      },
      { what: 'the offer figures to move', timeoutMs: 5_000 },
    );
    expect(firstOffers(after)).toBe(firstOffers(before) + 1); // the second offer was not a first one
    expect(sample(after, 'tether_contacts_waiting{line="service"}')).toBe(0);
    expect(
      sample(after, 'tether_routing_decisions_total{line="service",outcome="offer"}'),
    ).toBeGreaterThanOrEqual(2);
  });
});

describe('/metrics with TETHER_METRICS_PORT', () => {
  let tether: Tether;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    tether = await startTether({ env: { TETHER_METRICS_PORT: String(port) } });
  });
  afterAll(() => tether?.stop());

  it('is served on that port only', async () => {
    const response = await httpJson(`http://127.0.0.1:${port}/metrics`, { method: 'GET' });
    expect(response.status).toBe(200);
    expect(response.text).toMatch(/^# TYPE tether_offers_total counter$/m);
    expect((await httpJson(`${tether.urls.sales}/metrics`, { method: 'GET' })).status).toBe(404);
    expect((await httpJson(`http://127.0.0.1:${port}/other`, { method: 'GET' })).status).toBe(404);
  });
});

describe('/metrics with each app in its own process (over Redis)', () => {
  let tether: Tether;

  beforeAll(async () => {
    tether = await startTether({ apps: ['admin', 'sales', 'gateway'] });
  });
  afterAll(() => tether?.stop());

  it("each process answers with its own figures; the gateway's bus lag moves as events arrive", async () => {
    const floor = new TestFloor(tether);
    try {
      for (const app of ['admin', 'sales', 'gateway'] as const)
        expect((await httpJson(`${tether.urls[app]}/metrics`, { method: 'GET' })).status).toBe(200);
      await floor.call('sales');
      const lagged = await waitFor(
        async () => {
          const text = (await httpJson(`${tether.urls.gateway}/metrics`, { method: 'GET' })).text;
          return (sample(text, 'tether_bus_lag_seconds_count') ?? 0) > 0 ? text : undefined;
        },
        { what: 'the gateway to read an event from the stream', timeoutMs: 5_000 },
      );
      expect(sample(lagged, 'tether_bus_lag_seconds_bucket{le="+Inf"}')).toBeGreaterThan(0);
      // the webhook was the sales process's: the gateway's own HTTP figures do not have it
      expect(lagged).not.toContain('route="/v1/telephony/calls"');
    } finally {
      await floor.clear();
    }
  });
});
