import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * How a customer prefers to be told of an incident affecting them (`notice_channel`: 'sms' or 'email'); null: by text
 * message when they have a phone number, else by e-mail (the behaviour before this column). A preference for a
 * channel they have no identity on falls back the same way.
 */
export class CustomerNoticeChannel1764001800000 implements MigrationInterface {
  name = 'CustomerNoticeChannel1764001800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE customers ADD COLUMN notice_channel text CHECK (notice_channel IN ('sms', 'email'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE customers DROP COLUMN notice_channel`);
  }
}
