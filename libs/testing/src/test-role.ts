import { randomBytes } from 'node:crypto';
import { queryDatabase, testDatabaseUrl } from './test-database';

export interface TestRole {
  /** `tether_rt_<random>`: roles are the server's, not a database's, so each test gets its own */
  name: string;
  password: string;
  /** `databaseUrl` with this role as its user: what an app's DATABASE_URL is in production */
  urlFor(databaseUrl: string): string;
  /** drops the role; drop the databases it has privileges in first (their grants hold the role) */
  drop(): Promise<void>;
}

/**
 * A login role on the test server that owns nothing, like production's runtime role (`tether_app`): migrate as the
 * server's user with `runtimeRole: role.name` (or DATABASE_MIGRATION_URL = the database's URL), connect the apps
 * with `role.urlFor(database.url)`.
 */
export async function createTestRole(): Promise<TestRole> {
  const name = `tether_rt_${randomBytes(5).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  // name and password are [a-z0-9_] only: safe as an identifier and a literal
  await queryDatabase(testDatabaseUrl(), `CREATE ROLE ${name} LOGIN PASSWORD '${password}'`);
  let dropped = false;
  return {
    name,
    password,
    urlFor(databaseUrl) {
      const url = new URL(databaseUrl);
      url.username = name;
      url.password = password;
      return url.toString();
    },
    async drop() {
      if (dropped) return;
      await queryDatabase(testDatabaseUrl(), `DROP ROLE IF EXISTS ${name}`);
      dropped = true;
    },
  };
}
