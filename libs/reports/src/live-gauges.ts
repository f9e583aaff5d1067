import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TetherMetrics } from '@tether/observability';
import { rows } from '@tether/persistence';
import { EventBus, RedisStreamEventBus } from '@tether/realtime';

/**
 * The routing figures read from PostgreSQL when Prometheus scrapes (so every instance reports the same truth, not
 * its own share): contacts waiting per line and agents connected; and the event bus's lag as this process reads it.
 */
@Injectable()
export class LiveGauges implements OnModuleInit, OnApplicationShutdown {
  private stopLag?: () => void;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly metrics: TetherMetrics,
    private readonly bus: EventBus,
  ) {}

  onModuleInit(): void {
    this.metrics.gauge(
      'tether_contacts_waiting',
      'Contacts waiting in the queue (status queued), by the line they arrived on',
      ['line'],
      async () =>
        (
          await rows<{ line: string; waiting: number }>(
            this.db,
            `SELECT l.name AS line, count(c.id)::int AS waiting
               FROM lines l LEFT JOIN contacts c ON c.line = l.name AND c.status = 'queued'
              GROUP BY l.name`,
          )
        ).map((row) => ({ labels: { line: row.line }, value: row.waiting })),
    );
    this.metrics.gauge(
      'tether_agents_connected',
      'Agents with at least one live socket on any gateway',
      [],
      async () => [
        {
          value: (
            await rows<{ n: number }>(
              this.db,
              `SELECT count(DISTINCT agent_id)::int AS n FROM agent_connections`,
            )
          )[0].n,
        },
      ],
    );
    if (this.bus instanceof RedisStreamEventBus)
      this.stopLag = this.bus.onLag((seconds) => this.metrics.busLag.observe(seconds));
  }

  onApplicationShutdown(): void {
    this.stopLag?.();
  }
}
