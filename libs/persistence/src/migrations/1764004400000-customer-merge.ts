import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Merged customers (POST /v1/customers/{id}/merge): the customer merged away keeps its row as a pointer to the one it
 * was merged into (`merged_into`, `merged_at`; no name, no identities, no history left on it), so its id still
 * resolves (GET /v1/customers/{id} answers the survivor).
 */
export class CustomerMerge1764004400000 implements MigrationInterface {
  name = 'CustomerMerge1764004400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE customers ADD COLUMN merged_into uuid REFERENCES customers(id),
                            ADD COLUMN merged_at timestamptz,
                            ADD CONSTRAINT customers_merged_pointer CHECK ((merged_into IS NULL) = (merged_at IS NULL)
                                                                          AND merged_into IS DISTINCT FROM id);
      CREATE INDEX customers_merged_into ON customers (merged_into) WHERE merged_into IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE customers DROP COLUMN merged_into, DROP COLUMN merged_at`);
  }
}
