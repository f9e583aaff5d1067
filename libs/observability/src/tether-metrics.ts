import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** A figure read when Prometheus scrapes (contacts waiting, agents connected): its samples, or none on failure. */
export type GaugeCollector = () => Promise<{ labels?: Record<string, string>; value: number }[]>;

/** How long a scrape waits for a collector before it leaves that figure out. */
const COLLECT_TIMEOUT_MS = 2000;

/**
 * The process's Prometheus figures (prom-client, its own registry, not the library's global one): Node's process
 * figures (`tether_process_*`, `tether_nodejs_*`), HTTP requests per app, and the routing figures the domain feeds.
 * One per process (the core builds it; every app gets the same instance through the bridge), so under `npm start`
 * every app's `/metrics` shows the one process. Labels carry lines, reasons, apps and routes: never an id or a
 * customer's data (no unbounded label values).
 */
export class TetherMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'tether_http_requests_total',
    help: 'HTTP requests answered, by app, method, route (the route pattern, not the path) and status',
    labelNames: ['app', 'method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'tether_http_request_duration_seconds',
    help: 'HTTP request duration, by app, method and route',
    labelNames: ['app', 'method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly routingDecisions = new Counter({
    name: 'tether_routing_decisions_total',
    help: 'Routing engine decisions committed, by line and outcome (offer; hold: waiting for a related agent)',
    labelNames: ['line', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly offersMade = new Counter({
    name: 'tether_offers_total',
    help: 'Offers made, by line and reason (sticky and case_owner: the relationship hits; skills, transfer, ...)',
    labelNames: ['line', 'reason'] as const,
    registers: [this.registry],
  });

  readonly offersExpired = new Counter({
    name: 'tether_offers_expired_total',
    help: 'Offers revoked because the agent did not answer within offerTimeoutSeconds, by line',
    labelNames: ['line'] as const,
    registers: [this.registry],
  });

  readonly webhookToOffer = new Histogram({
    name: 'tether_webhook_to_offer_seconds',
    help: "From a contact's arrival (its call webhook) to its first offer, by line (database clock)",
    labelNames: ['line'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly busLag = new Histogram({
    name: 'tether_bus_lag_seconds',
    help: 'From an event being published on the Redis stream to this process reading it (REDIS_URL set only)',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tether_' });
  }

  /**
   * A gauge whose value is read on every scrape. A collector that fails or takes longer than 2 s leaves the gauge as
   * the last scrape read it, and the scrape goes on.
   */
  gauge(name: string, help: string, labelNames: readonly string[], collector: GaugeCollector): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        let timer: NodeJS.Timeout | undefined;
        const samples = await Promise.race([
          collector().catch(() => undefined),
          new Promise<undefined>((resolve) => {
            timer = setTimeout(() => resolve(undefined), COLLECT_TIMEOUT_MS);
          }),
        ]).finally(() => clearTimeout(timer));
        if (!samples) return; // keeps what the last scrape read: a failure must not look like a drop to zero
        this.reset();
        for (const sample of samples) this.set(sample.labels ?? {}, sample.value);
      },
    });
  }

  /** The Prometheus text exposition of every figure. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
