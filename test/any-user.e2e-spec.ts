import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDirFrom } from '@tether/config';
import { overUnixSocket } from '@tether/persistence';
import { queryDatabase } from '@tether/testing';
import {
  copyCheckout,
  currentUser,
  embeddedPostgresCopyOf,
  isRoot,
  type LocalUser,
  ordinaryUser,
  reachableByOthers,
  REPO_ROOT,
  runNode,
  startStandaloneIn,
} from './support/checkout-copy';

/**
 * "npm ci && npm start" and "npm test" work whoever runs them: an ordinary user from a fresh copy in their home
 * (no `postgres` user to create, no root-only tool on their PATH), and root from a private directory (0700, like
 * /root or `mktemp -d`), whose `postgres` user cannot enter it. Run as root, the first part creates an ordinary user
 * (`tether-e2e`) and runs as them; run as an ordinary user, it runs as that user.
 */

/** Connects to the embedded cluster `npm start` left in `dataDir` (the password is kept beside it). */
function embeddedUrl(dataDir: string, port: number): string {
  const password = readFileSync(join(dataDir, 'postgres.password'), 'utf8').trim();
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/tether`;
}

/** How the apps' pool (`tether_app`) is connected: over the unix socket (no client address) or TCP. */
async function appConnections(ownerUrl: string): Promise<{ unix: number; tcp: number }> {
  const [counts] = await queryDatabase<{ unix: number; tcp: number }>(
    ownerUrl,
    `SELECT count(*) FILTER (WHERE client_addr IS NULL)::int AS unix,
            count(*) FILTER (WHERE client_addr IS NOT NULL)::int AS tcp
       FROM pg_stat_activity WHERE usename = 'tether_app'`,
  );
  return counts;
}

/** The apps' role's URL over the socket in `socketDir`, with its password (or `password` instead). */
function appSocketUrl(dataDir: string, port: number, socketDir: string, password?: string): string {
  const real = readFileSync(join(dataDir, 'postgres-app.password'), 'utf8').trim();
  const url = `postgres://tether_app:${encodeURIComponent(password ?? real)}@127.0.0.1:${port}/tether`;
  return overUnixSocket(url, socketDir);
}

/**
 * Run as root, the ordinary user's copy links this checkout's node_modules (a fresh `npm ci` would take minutes):
 * from a checkout they cannot enter (root's private directory), that part cannot run.
 */
const ordinaryUserCanRun = !isRoot() || reachableByOthers(join(REPO_ROOT, 'node_modules'));
if (!ordinaryUserCanRun)
  process.stderr.write(
    `any-user.e2e-spec: skipping "an ordinary user": ${REPO_ROOT} is in a directory other users cannot enter, so ` +
      'their copy cannot use its node_modules (run the suite from a checkout others can read, e.g. under /opt or /work)\n',
  );

(ordinaryUserCanRun ? describe : describe.skip)('an ordinary user with a fresh copy in their home', () => {
  let user: LocalUser;
  let copy: string | undefined;

  beforeAll(() => {
    user = isRoot() ? ordinaryUser() : currentUser();
    copy = copyCheckout(join(user.home, `tether-e2e-${process.pid}-${Date.now()}`), {
      owner: isRoot() ? user : undefined,
    });
  });

  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('npm start: embedded PostgreSQL runs as them with its data in ./.tether-data, all five apps answer, Ctrl-C stops it all', async () => {
    if (!copy) throw new Error('no copy');
    expect(user.uid).not.toBe(0);
    const { app, dataDir, embeddedPgPort } = await startStandaloneIn(copy, isRoot() ? user : undefined);
    try {
      expect(dataDir).toBe(join(copy, '.tether-data'));
      // the cluster is theirs (no `postgres` user was needed), and it serves
      expect(statSync(join(dataDir, 'postgres', 'PG_VERSION')).uid).toBe(user.uid);
      const [{ who }] = await queryDatabase<{ who: string }>(
        embeddedUrl(dataDir, embeddedPgPort),
        'SELECT current_user AS who',
      );
      expect(who).toBe('postgres');
      expect(app.logs()).not.toMatch(/groupadd|useradd|Failed to create/);
      // the apps' pool goes through the unix socket in the data dir, a directory private to them
      const socketDir = join(dataDir, 'socket');
      expect(app.stdout()).toContain(`the apps reach it over its unix socket in ${socketDir}`);
      expect(statSync(socketDir).uid).toBe(user.uid);
      expect(statSync(socketDir).mode & 0o777).toBe(0o700);
      const pool = await appConnections(embeddedUrl(dataDir, embeddedPgPort));
      expect(pool.tcp).toBe(0);
      expect(pool.unix).toBeGreaterThan(0);
      // the socket asks for the password (SCRAM), it does not trust whoever reaches it
      const local = await queryDatabase<{ auth: string }>(
        embeddedUrl(dataDir, embeddedPgPort),
        `SELECT DISTINCT auth_method AS auth FROM pg_hba_file_rules WHERE type = 'local'`,
      );
      expect(local).toEqual([{ auth: 'scram-sha-256' }]);
      await expect(
        queryDatabase(appSocketUrl(dataDir, embeddedPgPort, socketDir, 'not-the-password'), 'SELECT 1'),
      ).rejects.toThrow(/password authentication failed for user "tether_app"/);
      const [{ me }] = await queryDatabase<{ me: string }>(
        appSocketUrl(dataDir, embeddedPgPort, socketDir),
        'SELECT current_user AS me',
      );
      expect(me).toBe('tether_app');
    } finally {
      const { code } = await app.stop();
      expect(code).toBe(0);
    }
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false); // PostgreSQL stopped too
  }, 90_000);

  it('npm start with a data dir too deep for a unix socket address (107 bytes): the apps reach PostgreSQL over TCP', async () => {
    if (!copy) throw new Error('no copy');
    const deep = join(copy, 'd'.repeat(Math.max(8, 100 - copy.length)));
    const { app, dataDir, embeddedPgPort } = await startStandaloneIn(copy, isRoot() ? user : undefined, {
      TETHER_DATA_DIR: deep,
    });
    try {
      expect(dataDir).toBe(deep);
      expect(app.stdout()).toContain(
        'the apps reach it over TCP (no unix socket: its path would exceed 107 bytes)',
      );
      const pool = await appConnections(embeddedUrl(dataDir, embeddedPgPort));
      expect(pool.unix).toBe(0);
      expect(pool.tcp).toBeGreaterThan(0);
      expect(existsSync(join(deep, 'socket'))).toBe(false);
    } finally {
      const { code } = await app.stop();
      expect(code).toBe(0);
    }
  }, 90_000);

  it("npm test's services (PostgreSQL from npm, Redis from Debian) start as them", async () => {
    if (!copy) throw new Error('no copy');
    const script = [
      "import { startPostgres, startRedis } from './scripts/lib/local-services.mjs';",
      "import { finish } from './scripts/lib/process-group.mjs';",
      "import pg from 'pg';",
      'const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);',
      'const client = new pg.Client({ connectionString: postgres.url });',
      'await client.connect();',
      "const { rows } = await client.query('SELECT current_user AS who, pg_postmaster_start_time() AS at');",
      'await client.end();',
      'console.log(`services up: postgres as ${rows[0].who}, redis ${redis.url}`);',
      'await finish(0);',
    ].join('\n');
    const { code, output } = await runNode(['--input-type=module', '-e', script], {
      cwd: copy,
      user: isRoot() ? user : undefined,
      timeoutMs: 45_000,
    });
    expect(output).toMatch(/services up: postgres as postgres, redis redis:\/\/127\.0\.0\.1:\d+/);
    expect(code).toBe(0);
  }, 60_000);

  it('npm test without redis-server says what to install or which variable to set, and exits non-zero', async () => {
    if (!copy) throw new Error('no copy');
    // a PATH with a shell and nothing else: no redis-server, no sudo (node itself is started by its full path)
    const bin = mkdtempSync(join(tmpdir(), 'tether-e2e-path-'));
    chmodSync(bin, 0o755);
    symlinkSync('/bin/sh', join(bin, 'sh'));
    try {
      const { code, output } = await runNode(['scripts/run-tests.mjs', 'int'], {
        cwd: copy,
        user: isRoot() ? user : undefined,
        // the database is not what this is about: skip starting one
        env: { PATH: bin, TEST_DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused' },
        timeoutMs: 30_000,
      });
      expect(output).toMatch(/services failed/);
      expect(output).toMatch(/apt-get install -y redis-server/);
      expect(output).toMatch(/TEST_REDIS_URL=redis:\/\//);
      expect(output).not.toMatch(/== jest/);
      expect(code).toBe(1);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }, 45_000);
});

const describeAsRoot = isRoot() ? describe : describe.skip;
if (!isRoot())
  process.stderr.write(
    'any-user.e2e-spec: skipping "root from a private directory": it needs root (run the suite as root to include it)\n',
  );

describeAsRoot('root from a private directory (0700, like /root or mktemp -d)', () => {
  let privateDir: string | undefined;
  let copy: string | undefined;
  let dataDir: string | undefined;

  beforeAll(() => {
    privateDir = mkdtempSync(join(tmpdir(), 'tether-e2e-private-'));
    expect(statSync(privateDir).mode & 0o777).toBe(0o700);
    copy = copyCheckout(join(privateDir, 'tether'), { ownEmbeddedPostgres: true });
  });

  afterAll(() => {
    if (copy && existsSync(copy)) rmSync(embeddedPostgresCopyOf(copy), { recursive: true, force: true });
    if (dataDir?.startsWith('/var/lib/tether/')) rmSync(dataDir, { recursive: true, force: true });
    if (privateDir) rmSync(privateDir, { recursive: true, force: true });
  });

  it('npm start picks a data directory the postgres user can reach, says where, and keeps it across restarts', async () => {
    if (!copy) throw new Error('no copy');
    const identifiers: string[] = [];
    for (const start of [1, 2]) {
      const standalone = await startStandaloneIn(copy);
      try {
        if (start === 1) dataDir = standalone.dataDir;
        expect(standalone.dataDir).toMatch(/^\/var\/lib\/tether\/tether-[0-9a-f]{12}$/);
        expect(standalone.dataDir).toBe(dataDirFrom(undefined, copy, true));
        expect(standalone.dataDir).toBe(dataDir); // the same place on the second start
        const [{ id }] = await queryDatabase<{ id: string }>(
          embeddedUrl(standalone.dataDir, standalone.embeddedPgPort),
          'SELECT system_identifier::text AS id FROM pg_control_system()',
        );
        identifiers.push(id);
        // root's apps reach the postgres user's socket in the data dir, which only that user (and root) can enter
        const socketDir = join(standalone.dataDir, 'socket');
        expect(standalone.app.stdout()).toContain(`the apps reach it over its unix socket in ${socketDir}`);
        expect(statSync(socketDir).uid).toBe(statSync(join(standalone.dataDir, 'postgres')).uid);
        expect(statSync(socketDir).mode & 0o777).toBe(0o700);
        const pool = await appConnections(embeddedUrl(standalone.dataDir, standalone.embeddedPgPort));
        expect(pool).toEqual({ unix: expect.any(Number) as number, tcp: 0 });
        expect(pool.unix).toBeGreaterThan(0);
      } finally {
        const { code } = await standalone.app.stop();
        expect(code).toBe(0);
      }
    }
    // one cluster, initialised once: the second start found the first one's data
    expect(identifiers[1]).toBe(identifiers[0]);
    if (!dataDir) throw new Error('no data dir');
    const top = statSync(dataDir);
    expect(top.uid).toBe(0);
    expect(top.mode & 0o777).toBe(0o711); // postgres passes through, nobody lists or writes it
    expect(statSync(join(dataDir, 'postgres')).uid).not.toBe(0); // the cluster is the postgres user's
    expect(statSync(join(dataDir, 'postgres.password')).mode & 0o077).toBe(0);
  }, 120_000);
});
