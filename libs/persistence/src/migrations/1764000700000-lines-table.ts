import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lines become data: one row per line (owned by `@tether/lines`), seeded with the three default lines, and foreign
 * keys from every table that carries a line in place of the CHECK lists of the initial schema (their generated names:
 * `<table>_<column>_check`). Adding a line is a row here plus a five-line entry point (README, "Adding a line").
 *
 * A line's name becomes its environment variable (`<NAME>_PORT`) and its advisory-lock key, so it is restricted to
 * lower-case letters, digits and `_`. `agents.lines` is an array, which a foreign key cannot cover: `AgentRepository`
 * checks it against this table.
 */
export class LinesTable1764000700000 implements MigrationInterface {
  name = 'LinesTable1764000700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE lines (
        name text PRIMARY KEY CONSTRAINT lines_name_format CHECK (name ~ '^[a-z][a-z0-9_]{0,31}$'),
        title text NOT NULL,
        default_port int CONSTRAINT lines_default_port_range CHECK (default_port BETWEEN 1 AND 65535),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      INSERT INTO lines (name, title, default_port) VALUES
        ('sales', 'Sales', 3001),
        ('presales', 'Presales', 3002),
        ('service', 'Service', 3003);

      ALTER TABLE line_routing DROP CONSTRAINT line_routing_line_check,
        ADD CONSTRAINT line_routing_line_fkey FOREIGN KEY (line) REFERENCES lines (name);
      ALTER TABLE contacts DROP CONSTRAINT contacts_line_check,
        ADD CONSTRAINT contacts_line_fkey FOREIGN KEY (line) REFERENCES lines (name);
      ALTER TABLE offers ADD CONSTRAINT offers_line_fkey FOREIGN KEY (line) REFERENCES lines (name);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE offers DROP CONSTRAINT offers_line_fkey;
      ALTER TABLE contacts DROP CONSTRAINT contacts_line_fkey,
        ADD CONSTRAINT contacts_line_check CHECK (line IN ('sales', 'presales', 'service'));
      ALTER TABLE line_routing DROP CONSTRAINT line_routing_line_fkey,
        ADD CONSTRAINT line_routing_line_check CHECK (line IN ('sales', 'presales', 'service'));
      DROP TABLE lines;
    `);
  }
}
