import {
  lstatSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminTokenFilePath, writeAdminTokenFile } from './admin-token-file';

describe('writeAdminTokenFile', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tether-admin-token-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the token to <data dir>/admin-token, readable only by its owner, creating the directory', () => {
    const dataDir = join(dir, 'data');
    const path = writeAdminTokenFile(dataDir, 'tta_secret');
    expect(path).toBe(adminTokenFilePath(dataDir));
    expect(readFileSync(path, 'utf8')).toBe('tta_secret\n');
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    expect(lstatSync(dataDir).mode & 0o077).toBe(0);
    expect(readdirSync(dataDir)).toEqual(['admin-token']);
  });

  it('replaces a link planted at its name instead of writing through it', () => {
    const target = join(dir, 'elsewhere');
    writeFileSync(target, 'untouched');
    symlinkSync(target, adminTokenFilePath(dir));
    writeAdminTokenFile(dir, 'tta_secret');
    expect(readFileSync(target, 'utf8')).toBe('untouched');
    expect(lstatSync(adminTokenFilePath(dir)).isSymbolicLink()).toBe(false);
    expect(lstatSync(adminTokenFilePath(dir)).mode & 0o777).toBe(0o600);
  });
});
