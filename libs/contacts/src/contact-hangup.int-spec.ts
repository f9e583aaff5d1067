import type { DataSource } from 'typeorm';
import { createDataSource } from '@tether/persistence';

import type { DurableScheduler } from '@tether/scheduler';
import type { EventBus, TetherEvent } from '@tether/realtime';
import { createSqlTestDatabase, type SqlTestDatabase, waitFor } from '@tether/testing';
import type { CaseService } from '@tether/cases';
import type { ContactDispatcher } from './contact-dispatcher.service';
import { ContactLifecycleService } from './contact-lifecycle.service';
import type { LineRoutingRepository } from './line-routing.repository';

/**
 * When a hang-up records its call's end, against a real PostgreSQL. The hang-up waits for the call's lock (a duplicate
 * of the call webhook, a routing pass or an accept holding it); what it records as the end is the moment it ended
 * the call under that lock, not the moment its transaction began: an offer made and accepted while it waited was
 * made before the end, and its timestamps say so (the fault suite's "no offer after the end" reads them).
 */
describe('ContactLifecycleService.hangup: the end is recorded when it happens (real PostgreSQL)', () => {
  let db: SqlTestDatabase;
  let source: DataSource;
  let lifecycle: ContactLifecycleService;
  const published: TetherEvent[] = [];

  beforeAll(async () => {
    db = await createSqlTestDatabase();
    source = await createDataSource(db.url, 4, 'hangup-spec').initialize();
    const bus = {
      publish: (event: TetherEvent) => {
        published.push(event);
        return Promise.resolve();
      },
    } as unknown as EventBus;
    const dispatcher = { request: () => undefined } as unknown as ContactDispatcher;
    lifecycle = new ContactLifecycleService(
      source,
      {} as LineRoutingRepository,
      dispatcher,
      {} as DurableScheduler,
      bus,
      {} as CaseService,
    );
  }, 60_000);
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  it('a hang-up that waited for the contact ends it after what held it committed', async () => {
    const agentId = await db.fixtures.agent();
    const callId = `CA-hangup-${Date.now()}`;
    const contactId = await db.fixtures.connected(agentId, { externalId: callId });
    const holder = await db.session();
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM contacts WHERE id = $1 FOR UPDATE', [contactId]);

    const hangup = lifecycle.hangup('sales', callId);
    // the hang-up's session waits for the contact's row lock
    await waitFor(
      async () =>
        (
          await db.query(
            `SELECT pid FROM pg_stat_activity
              WHERE wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE OF c%' AND pid <> pg_backend_pid()`,
          )
        ).length === 1,
      { what: 'the hang-up to wait for the contact lock', timeoutMs: 5_000 },
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    const [{ released }] = await holder.query<{ released: Date }>('SELECT clock_timestamp() AS released');
    await holder.query('COMMIT');
    await holder.end();

    const result = await hangup;
    expect(result.remembered).toBe(false);
    const row = await db.one<{ status: string; end_reason: string; ended_at: Date }>(
      'SELECT status, end_reason, ended_at FROM contacts WHERE id = $1',
      [contactId],
    );
    expect(row).toMatchObject({ status: 'ended', end_reason: 'caller_hung_up' });
    // with now() (the transaction's start) the end would precede the release by the 150 ms it waited
    expect(row!.ended_at.getTime()).toBeGreaterThanOrEqual(released.getTime());
    expect(published).toContainEqual(
      expect.objectContaining({ type: 'contact.ended', agentId, contactId, reason: 'caller_hung_up' }),
    );
  });
});
