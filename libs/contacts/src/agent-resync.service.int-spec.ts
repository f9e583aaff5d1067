import type { DataSource } from 'typeorm';
import { createDataSource } from '@tether/persistence';
import { createSqlTestDatabase, type SqlTestDatabase } from '@tether/testing';
import { AgentResyncService } from './agent-resync.service';
import { OfferPayloadBuilder } from './offer-payload.builder';

/**
 * The held contacts a connecting socket is sent, against a real PostgreSQL: the agents asked about together (a
 * connect storm) are read in one statement, and each caller still gets exactly its own agent's contacts, in the
 * order they were connected. The positive control: reads one after the other take one statement each.
 */
describe('AgentResyncService.heldContacts: concurrent reads in one statement (real PostgreSQL)', () => {
  let db: SqlTestDatabase;
  let source: DataSource;
  let resync: AgentResyncService;

  beforeAll(async () => {
    db = await createSqlTestDatabase();
    source = await createDataSource(db.url, 4, 'held-storm').initialize();
    resync = new AgentResyncService(source, new OfferPayloadBuilder(source));
  }, 60_000);
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  it('N agents in the same tick: one statement; each caller gets its own agent’s contacts, oldest first', async () => {
    const [a, b, c] = [await db.fixtures.agent(), await db.fixtures.agent(), await db.fixtures.agent()];
    const now = Date.now();
    const aLater = await db.fixtures.connected(a, { connectedAt: new Date(now - 1_000) });
    const aEarlier = await db.fixtures.connected(a, { connectedAt: new Date(now - 60_000), channel: 'chat' });
    // the caller hung up while b was away: still held (wrap-up open), sent with its end reason
    const bEnded = await db.fixtures.contact({
      status: 'ended',
      agentId: b,
      workOpen: true,
      connectedAt: new Date(now - 30_000),
      endedAt: new Date(now - 5_000),
      endReason: 'caller_hung_up',
    });
    // completed work is not held
    await db.fixtures.contact({ status: 'ended', agentId: c, workOpen: false, connectedAt: new Date(now) });

    const before = resync.heldBatches;
    const [forA, forB, forC, forAAgain] = await Promise.all(
      [a, b, c, a].map((id) => resync.heldContacts(id)),
    );
    expect(resync.heldBatches - before).toBe(1);
    expect(forA.map((h) => h.payload.contactId)).toEqual([aEarlier, aLater]);
    expect(forA.map((h) => h.endReason)).toEqual([null, null]);
    expect(forAAgain.map((h) => h.payload.contactId)).toEqual([aEarlier, aLater]);
    expect(forB.map((h) => [h.payload.contactId, h.endReason])).toEqual([[bEnded, 'caller_hung_up']]);
    expect(forC).toEqual([]);
  });

  it('positive control: reads one after the other take one statement each', async () => {
    const agentId = await db.fixtures.agent();
    const contactId = await db.fixtures.connected(agentId);
    const before = resync.heldBatches;
    for (let i = 0; i < 3; i++)
      expect((await resync.heldContacts(agentId)).map((h) => h.payload.contactId)).toEqual([contactId]);
    expect(resync.heldBatches - before).toBe(3);
  });
});
