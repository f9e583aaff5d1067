import { DataSource } from 'typeorm';
import { createDataSource, one, rows, runMigrations } from '@tether/persistence';
import { compareQueueOrder, type QueuePlace } from '@tether/routing';
import { createTestDatabase, TestDatabase } from '@tether/testing';
import { QueueSnapshotService } from './queue-snapshot.service';

/**
 * Queue order is defined once, in `libs/routing` (`compareQueueOrder`); the SQL that reads a queue must agree with
 * it, or the snapshot's contact limit would hand the engine the wrong head of the queue and callers would hear the
 * wrong position. Ties in priority and arrival are many here on purpose: the id decides them.
 */
describe('queue order: SQL agrees with the engine (real PostgreSQL)', () => {
  let db: TestDatabase;
  let source: DataSource;
  const places: QueuePlace[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    source = await createDataSource(db.url, 2).initialize();
    await runMigrations(source);
    const customer = await one<{ id: string }>(
      source.manager,
      `INSERT INTO customers (known) VALUES (false) RETURNING id`,
    );
    // some contacts have a last agent: the snapshot's aggregate over related agents must not reorder the queue
    const agent = await one<{ id: string }>(
      source.manager,
      `INSERT INTO agents (name, lines, skills, capacity) VALUES ('a', '{service}', '{}', '{"voice":1}') RETURNING id`,
    );
    await source.query(`INSERT INTO agent_presence (agent_id) VALUES ($1)`, [agent!.id]);
    const base = Date.parse('2026-11-30T10:00:00.000Z');
    for (let i = 0; i < 120; i++) {
      const priority = i % 3;
      const enqueuedAt = new Date(base + (i % 7) * 1000);
      const row = await one<{ id: string }>(
        source.manager,
        `INSERT INTO contacts (external_id, channel, line, customer_id, from_address, to_address, priority,
                               required_skills, status, enqueued_at, sticky_agent_id, last_agent_at)
         VALUES ($1, 'voice', 'service', $2, 'anonymous', '+15550000001', $3, '{}', 'queued', $4, $5, $6) RETURNING id`,
        [
          `order-${i}`,
          customer!.id,
          priority,
          enqueuedAt,
          i % 5 === 0 ? agent!.id : null,
          i % 5 === 0 ? enqueuedAt : null,
        ],
      );
      places.push({ id: row!.id, priority, enqueuedAt });
    }
  });
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  const engineOrder = (): string[] => [...places].sort(compareQueueOrder).map((p) => p.id);

  it('the routing snapshot reads the head of the queue in the engine’s order', async () => {
    const limit = 50;
    const snapshot = await source.transaction(async (tx) =>
      one<{ snapshot: { contacts: { id: string }[] } }>(
        tx,
        `SELECT tether_routing_snapshot('service', 1, $1, 4, 8, false) AS snapshot`,
        [limit],
      ),
    );
    expect(snapshot!.snapshot.contacts.map((c) => c.id)).toEqual(engineOrder().slice(0, limit));
  });

  it('the agents’ queue snapshot lists the same order', async () => {
    const queue = await new QueueSnapshotService(source).snapshot(['service']);
    expect(queue.total).toBe(places.length);
    expect(queue.waiting.map((w) => w.contactId)).toEqual(engineOrder().slice(0, queue.waiting.length));
  });

  it('a caller’s queue position counts exactly the contacts the engine serves first', async () => {
    const positions = await rows<{ id: string; ahead: number }>(
      source.manager,
      `SELECT r.id, r.ahead FROM contacts c, tether_call_row(c.id) r WHERE c.line = 'service'`,
    );
    const ahead = Object.fromEntries(positions.map((p) => [p.id, p.ahead]));
    engineOrder().forEach((id, index) => expect([id, ahead[id]]).toEqual([id, index]));
  });
});
