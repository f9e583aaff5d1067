import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The event history's primary key index goes (bench/README.md "Session 7": what writing the history costs the
 * lifecycle). Every step of every contact inserts a row into contact_events, and each row paid a B-tree insert
 * into `contact_events_pkey` on an ever-increasing id: the right-most leaf page every writing session latches, for
 * an index nothing reads (the reports read by time range through the BRIN on `at`, repeats through
 * `contact_events_arrivals`; `id` is only the order of two events of one contact at the same instant, read in the
 * same scans). The column and its sequence stay; the NOT NULL stays; uniqueness comes from the sequence.
 */
export class ContactEventsNoKeyIndex1764004710000 implements MigrationInterface {
  name = 'ContactEventsNoKeyIndex1764004710000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contact_events DROP CONSTRAINT contact_events_pkey`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE contact_events ADD PRIMARY KEY (id)`);
  }
}
