import { DataSource } from 'typeorm';
import { loadConfig, TetherConfig } from '@tether/config';
import { ConflictError, NotFoundError } from '@tether/errors';
import { createDataSource } from '@tether/persistence';
import { DueJob, DurableScheduler } from '@tether/scheduler';
import { createSqlTestDatabase, findTextInDatabase, SqlTestDatabase, waitFor } from '@tether/testing';
import { CustomerPrivacyService, RETENTION_BATCH } from './customer-privacy.service';
import { CustomerRepository } from './customer.repository';

/**
 * Erase, export and retention against a real PostgreSQL with the real migrations and SQL sources: after an erase
 * no table holds the customer's number, e-mail, name, external ref or notes (every column of every table searched,
 * with the same search finding them before as the positive control); retention erases only what is older than
 * TETHER_RETENTION_DAYS and runs once across instances.
 */
describe('CustomerPrivacyService (real PostgreSQL)', () => {
  let db: SqlTestDatabase;
  const sources: DataSource[] = [];
  const schedulers: DurableScheduler[] = [];
  const DAYS = 30;
  const daysAgo = (days: number) => new Date(Date.now() - days * 24 * 3600_000);

  beforeAll(async () => {
    db = await createSqlTestDatabase();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(schedulers.splice(0).map((s) => s.onApplicationShutdown()));
  });
  afterAll(async () => {
    await Promise.all(sources.map((s) => s.destroy()));
    await db?.drop();
  });

  async function instance(
    name: string,
    retentionDays?: number,
  ): Promise<{ service: CustomerPrivacyService; scheduler: DurableScheduler; source: DataSource }> {
    const source = await createDataSource(db.url, 2, `privacy-${name}`).initialize();
    sources.push(source);
    const config: TetherConfig = { ...loadConfig({}), instanceId: name, timerPollMs: 20, retentionDays };
    const scheduler = new DurableScheduler(source, config);
    schedulers.push(scheduler);
    return { service: new CustomerPrivacyService(source, config, scheduler), scheduler, source };
  }

  /** A registered customer with two finished contacts full of personal data, an offer and a callback outbox row. */
  async function customerWithHistory() {
    const phone = db.fixtures.phone();
    const name = `Erin Erasable ${phone.slice(-4)}`;
    const email = `erin.${phone.slice(-6)}@example.org`;
    const externalRef = `CRM-${phone.slice(-7)}`;
    const note = `called about invoice ${phone.slice(-5)}`;
    const agentId = await db.fixtures.agent();
    const customerId = await db.fixtures.customer({ name, phone, externalRef });
    await db.query(`INSERT INTO customer_identities (kind, value, customer_id) VALUES ('email', $1, $2)`, [
      email,
      customerId,
    ]);
    const contacts: string[] = [];
    for (const line of ['sales', 'service']) {
      const contactId = await db.fixtures.contact({
        customerId,
        line,
        status: 'ended',
        agentId,
        connectedAt: new Date(),
        resolution: 'follow_up',
        notes: note,
      });
      await db.query(
        `UPDATE contacts SET from_address = $2, to_address = '+442071838750', ivr = $3, completed_at = now()
          WHERE id = $1`,
        // what the IVR collected: here the number typed again, without its '+'
        [contactId, phone, JSON.stringify({ intent: 'billing', digits: phone.slice(1) })],
      );
      await db.fixtures.offer({ contactId, agentId, state: 'accepted' });
      contacts.push(contactId);
    }
    await db.query(
      `INSERT INTO outbound_webhooks (url, event, body) SELECT 'http://127.0.0.1:9/cb', 'contact.connected',
              jsonb_build_object('event', 'contact.connected', 'callId', c.external_id, 'contactId', c.id,
                                 'agentId', c.agent_id)
         FROM contacts c WHERE c.id = $1`,
      [contacts[0]],
    );
    return { customerId, agentId, contacts, phone, name, email, externalRef, note };
  }

  describe('erase', () => {
    it('leaves no trace of the number, e-mail, name, external ref or notes in any table; the figures stay', async () => {
      const { service } = await instance('erase');
      const c = await customerWithHistory();
      // the number also in its other spellings (without '+', as a platform might send it), never found either
      const personal = [c.phone, c.phone.slice(1), c.email, c.name, c.externalRef, c.note];

      const before = await findTextInDatabase(db, personal);
      expect(new Set(before.map((f) => `${f.table}.${f.column}`))).toEqual(
        new Set([
          'customers.name',
          'customers.external_ref',
          'customer_identities.value',
          'contacts.from_address',
          'contacts.ivr',
          'contacts.notes',
        ]),
      );

      expect(await service.erase(c.customerId)).toEqual({ contacts: 2 });

      expect(await findTextInDatabase(db, personal)).toEqual([]);
      const figures = await db.query<{
        customer_id: string;
        line: string;
        resolution: string;
        agent_id: string;
      }>(
        `SELECT customer_id, line, resolution, agent_id, completed_at IS NOT NULL AS completed, erased_at IS NOT NULL AS erased
           FROM contacts WHERE id = ANY($1) ORDER BY line`,
        [c.contacts],
      );
      expect(figures).toEqual([
        expect.objectContaining({
          line: 'sales',
          resolution: 'follow_up',
          agent_id: c.agentId,
          completed: true,
          erased: true,
        }),
        expect.objectContaining({
          line: 'service',
          resolution: 'follow_up',
          agent_id: c.agentId,
          completed: true,
          erased: true,
        }),
      ]);
      // both now belong to one anonymous tombstone, not to the erased id
      expect(figures[0].customer_id).toBe(figures[1].customer_id);
      expect(figures[0].customer_id).not.toBe(c.customerId);
      expect(
        await db.one(
          `SELECT name, known, external_ref, erased_at IS NOT NULL AS erased FROM customers WHERE id = $1`,
          [figures[0].customer_id],
        ),
      ).toEqual({ name: null, known: false, external_ref: null, erased: true });
      expect(await db.one(`SELECT 1 FROM customers WHERE id = $1`, [c.customerId])).toBeUndefined();
      expect(await db.query(`SELECT 1 FROM offers WHERE contact_id = ANY($1)`, [c.contacts])).toHaveLength(2);
    });

    it('a second erase, a read and an export of the erased id are 404; the tombstone is no customer either', async () => {
      const { service, source } = await instance('erase-twice');
      const c = await customerWithHistory();
      await service.erase(c.customerId);
      await expect(service.erase(c.customerId)).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.export(c.customerId)).rejects.toBeInstanceOf(NotFoundError);
      const repository = new CustomerRepository(source);
      await expect(repository.get(c.customerId)).rejects.toBeInstanceOf(NotFoundError);
      const tombstone = (await db.one<{ customer_id: string }>(
        `SELECT customer_id FROM contacts WHERE id = $1`,
        [c.contacts[0]],
      ))!.customer_id;
      await expect(repository.get(tombstone)).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.erase(tombstone)).rejects.toBeInstanceOf(NotFoundError);
      await expect(service.erase('not-a-uuid')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('after merges, the survivor is erased by its id or any merged-away id, and the merged-away ids go with it', async () => {
      const { service, source } = await instance('erase-merged');
      const repository = new CustomerRepository(source);
      const [survivor, middle, first] = [
        await customerWithHistory(),
        await customerWithHistory(),
        await customerWithHistory(),
      ];
      // a chain: first → middle, then middle → survivor
      await repository.merge(middle.customerId, first.customerId);
      await repository.merge(survivor.customerId, middle.customerId);
      const personal = [survivor, middle, first].flatMap((c) => [c.phone, c.email, c.name, c.note]);

      // the oldest id is the same person: erasing by it erases the survivor, with every contact of the three
      expect(await service.erase(first.customerId)).toEqual({ contacts: 6 });

      expect(await findTextInDatabase(db, personal)).toEqual([]);
      const ids = [survivor.customerId, middle.customerId, first.customerId];
      expect(await db.query(`SELECT id FROM customers WHERE id = ANY($1)`, [ids])).toEqual([]);
      for (const id of ids) {
        await expect(repository.get(id)).rejects.toBeInstanceOf(NotFoundError);
        await expect(service.erase(id)).rejects.toBeInstanceOf(NotFoundError);
      }
    });

    it('a survivor erased by its own id takes its merged-away ids along (no foreign key left to refuse it)', async () => {
      const { service, source } = await instance('erase-survivor');
      const repository = new CustomerRepository(source);
      const survivor = await customerWithHistory();
      const merged = await customerWithHistory();
      await repository.merge(survivor.customerId, merged.customerId);

      expect(await service.erase(survivor.customerId)).toEqual({ contacts: 4 });

      expect(
        await db.query(`SELECT id FROM customers WHERE id = ANY($1)`, [
          [survivor.customerId, merged.customerId],
        ]),
      ).toEqual([]);
      expect(await findTextInDatabase(db, [merged.phone, merged.name, survivor.phone])).toEqual([]);
    });

    it('refuses (409) while a contact of the customer is in progress, changing nothing', async () => {
      const { service } = await instance('erase-live');
      const c = await customerWithHistory();
      const live = await db.fixtures.connected(c.agentId, { customerId: c.customerId });
      await expect(service.erase(c.customerId)).rejects.toMatchObject({
        code: 'customer_has_live_contact',
      });
      await expect(service.erase(c.customerId)).rejects.toBeInstanceOf(ConflictError);
      expect((await findTextInDatabase(db, [c.name, c.phone])).length).toBeGreaterThan(0);
      expect(await db.one(`SELECT customer_id FROM contacts WHERE id = $1`, [live])).toEqual({
        customer_id: c.customerId,
      });
      // positive control: completed, the same erase goes through
      await db.query(`UPDATE contacts SET status = 'ended', work_open = false WHERE id = $1`, [live]);
      expect(await service.erase(c.customerId)).toEqual({ contacts: 3 });
    });

    it('an intake that inserted a contact for the customer first is waited for, and its contact erased too', async () => {
      const { service } = await instance('erase-race-1');
      const c = await customerWithHistory();
      const intake = await db.session();
      try {
        // what tether_receive_call does for a known number: the contact insert locks the customer FOR KEY SHARE
        await intake.query('BEGIN');
        const [{ id: late }] = await intake.query<{ id: string }>(
          `INSERT INTO contacts (external_id, channel, line, customer_id, from_address, status)
           VALUES ($1, 'voice', 'sales', $2, $3, 'ended') RETURNING id`,
          [db.fixtures.callId(), c.customerId, c.phone],
        );
        let done = false;
        const erasing = service.erase(c.customerId).finally(() => (done = true));
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(done).toBe(false);
        await intake.query('COMMIT');
        expect(await erasing).toEqual({ contacts: 3 });
        expect(await db.one(`SELECT from_address FROM contacts WHERE id = $1`, [late])).toEqual({
          from_address: null,
        });
        expect(await findTextInDatabase(db, [c.phone])).toEqual([]);
      } finally {
        await intake.end();
      }
    });

    it('an intake that found the customer before the erase but inserts after it fails (the platform retries)', async () => {
      const { service } = await instance('erase-race-2');
      const c = await customerWithHistory();
      const intake = await db.session();
      try {
        await intake.query('BEGIN');
        const [{ customer_id: found }] = await intake.query<{ customer_id: string }>(
          `SELECT customer_id FROM customer_identities WHERE kind = 'phone' AND value = $1`,
          [c.phone],
        );
        expect(found).toBe(c.customerId);
        await service.erase(c.customerId);
        await expect(
          intake.query(
            `INSERT INTO contacts (external_id, channel, line, customer_id, from_address, status)
             VALUES ($1, 'voice', 'sales', $2, $3, 'queued')`,
            [db.fixtures.callId(), found, c.phone],
          ),
        ).rejects.toThrow(/foreign key/);
        await intake.query('ROLLBACK');
        expect(await findTextInDatabase(db, [c.phone])).toEqual([]);
      } finally {
        await intake.end();
      }
    });
  });

  describe('export', () => {
    it('answers everything held about the customer: profile, identities, contacts with numbers, notes, times, offers', async () => {
      const { service } = await instance('export');
      const c = await customerWithHistory();
      const other = await customerWithHistory();
      const exported = await service.export(c.customerId);

      expect(exported.customer).toMatchObject({
        id: c.customerId,
        name: c.name,
        known: true,
        externalRef: c.externalRef,
      });
      expect(exported.identities.map((i) => [i.kind, i.value]).sort()).toEqual(
        [
          ['email', c.email],
          ['phone', c.phone],
        ].sort(),
      );
      expect(exported.contacts.map((x) => x.id).sort()).toEqual([...c.contacts].sort());
      for (const contact of exported.contacts) {
        expect(contact).toMatchObject({
          from: c.phone,
          to: '+442071838750',
          ivr: { intent: 'billing', digits: c.phone.slice(1) },
          notes: c.note,
          resolution: 'follow_up',
          agentId: c.agentId,
          status: 'ended',
          erasedAt: null,
        });
        expect(Date.parse(contact.createdAt)).not.toBeNaN();
        expect(Date.parse(contact.completedAt!)).not.toBeNaN();
        expect(contact.offers).toEqual([expect.objectContaining({ agentId: c.agentId, state: 'accepted' })]);
      }
      const json = JSON.stringify(exported);
      expect(json).not.toContain(other.phone);
      expect(json).not.toContain(other.name);
    });

    it('by a merged-away id: the survivor, with the merged customer’s identities and contacts', async () => {
      const { service, source } = await instance('export-merged');
      const survivor = await customerWithHistory();
      const merged = await customerWithHistory();
      await new CustomerRepository(source).merge(survivor.customerId, merged.customerId);

      const exported = await service.export(merged.customerId);

      expect(exported.customer.id).toBe(survivor.customerId);
      expect(exported.identities.map((i) => i.value)).toEqual(
        expect.arrayContaining([survivor.phone, merged.phone]),
      );
      expect(exported.contacts.map((x) => x.id).sort()).toEqual(
        [...survivor.contacts, ...merged.contacts].sort(),
      );
    });
  });

  describe('retention (TETHER_RETENTION_DAYS)', () => {
    /** an unregistered caller's ended contact that arrived `age` days ago, with its number and notes */
    async function callerContact(age: number) {
      const phone = db.fixtures.phone();
      const customerId = await db.fixtures.customer({ phone, known: false, name: null });
      await db.query(`UPDATE customer_identities SET created_at = $2 WHERE value = $1`, [
        phone,
        daysAgo(age),
      ]);
      const contactId = await db.fixtures.contact({
        customerId,
        status: 'ended',
        createdAt: daysAgo(age),
        notes: `note for ${phone}`,
      });
      await db.query(`UPDATE contacts SET from_address = $2 WHERE id = $1`, [contactId, phone]);
      return { phone, contactId };
    }
    const jobs = () =>
      db.query<{ dedupe_key: string; run_at: Date }>(
        `SELECT dedupe_key, run_at FROM scheduled_jobs WHERE kind = 'privacy.retention' ORDER BY run_at`,
      );
    beforeEach(() => db.query(`DELETE FROM scheduled_jobs WHERE kind = 'privacy.retention'`));

    it('runs once at start across instances and erases only what is older than N days; the next run is a day later', async () => {
      const old = await callerContact(DAYS + 1);
      const young = await callerContact(DAYS - 1);
      const a = await instance('retention-a', DAYS);
      const b = await instance('retention-b', DAYS);
      const runs: string[] = [];
      for (const [name, node] of [
        ['a', a],
        ['b', b],
      ] as const)
        node.scheduler.register('privacy.retention', async (job: DueJob<'privacy.retention'>) => {
          runs.push(`${name}:${job.dedupeKey}`);
          await node.service.applyRetention(job);
        });
      // both instances start together: one job (wake() polls as soon as a handler is registered, so on a slow
      // machine the start job may already have run and left only its daily successor: still one, and `runs` below
      // shows it ran once)
      await Promise.all([a.service.onApplicationBootstrap(), b.service.onApplicationBootstrap()]);
      const scheduled = (await jobs()).map((j) => j.dedupe_key);
      expect(scheduled).toHaveLength(1);
      expect(scheduled[0]).toMatch(new RegExp(`^(start@${new Date().toISOString().slice(0, 10)}|daily@)`));
      a.scheduler.onApplicationBootstrap();
      b.scheduler.onApplicationBootstrap();

      await waitFor(async () => (await jobs()).some((j) => j.dedupe_key.startsWith('daily@')), {
        what: 'the retention run and its next daily run',
        timeoutMs: 10_000,
      });
      expect(runs).toHaveLength(1);
      const next = (await jobs()).find((j) => j.dedupe_key.startsWith('daily@'))!;
      expect(next.run_at.getTime() - Date.now()).toBeGreaterThan(23 * 3600_000);

      expect(await findTextInDatabase(db, [old.phone])).toEqual([]);
      expect(
        await db.one(
          `SELECT from_address, notes, erased_at IS NOT NULL AS erased FROM contacts WHERE id = $1`,
          [young.contactId],
        ),
      ).toEqual({ from_address: young.phone, notes: `note for ${young.phone}`, erased: false });
      expect(
        (await findTextInDatabase(db, [young.phone])).map((f) => `${f.table}.${f.column}`).sort(),
      ).toEqual(['contacts.from_address', 'contacts.notes', 'customer_identities.value']);
    });

    it('a full batch is followed at once by the next', async () => {
      await db.query(
        `INSERT INTO contacts (external_id, channel, line, customer_id, from_address, status, created_at, enqueued_at)
         SELECT 'bulk-' || g, 'voice', 'sales', $3, '+15559990000', 'ended', now() - make_interval(days => $1 + 2),
                now() - make_interval(days => $1 + 2)
           FROM generate_series(1, $2) g`,
        [DAYS, RETENTION_BATCH + 1, await db.fixtures.customer()],
      );
      const node = await instance('retention-batches', DAYS);
      const runs: string[] = [];
      node.scheduler.register('privacy.retention', async (job: DueJob<'privacy.retention'>) => {
        runs.push(job.dedupeKey!);
        await node.service.applyRetention(job);
      });
      await node.service.onApplicationBootstrap();
      node.scheduler.onApplicationBootstrap();
      await waitFor(async () => (await jobs()).some((j) => j.dedupe_key.startsWith('daily@')), {
        what: 'both batches and the next daily run',
        timeoutMs: 15_000,
      });
      expect(runs.map((key) => key.split('@')[0])).toEqual(['start', 'more']);
      expect(
        await db.one(`SELECT count(*)::int AS n FROM contacts WHERE from_address = '+15559990000'`),
      ).toEqual({ n: 0 });
    });

    it('turned off, a run left scheduled erases nothing and schedules nothing', async () => {
      const old = await callerContact(DAYS + 1);
      const node = await instance('retention-off', undefined);
      await node.service.onApplicationBootstrap();
      expect(await jobs()).toEqual([]);
      await db.query(
        `INSERT INTO scheduled_jobs (kind, dedupe_key, payload, run_at) VALUES ('privacy.retention', 'daily@x', '{}', now())`,
      );
      const [job] = await db.query<{ id: string }>(
        `SELECT id FROM scheduled_jobs WHERE dedupe_key = 'daily@x'`,
      );
      await node.service.applyRetention({
        id: job.id,
        kind: 'privacy.retention',
        payload: {},
        attempts: 1,
        dedupeKey: 'daily@x',
        claimToken: '0',
      });
      expect((await findTextInDatabase(db, [old.phone])).length).toBeGreaterThan(0);
      expect((await jobs()).map((j) => j.dedupe_key)).toEqual(['daily@x']);
    });
  });
});
