import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where a generated admin token is written when no terminal shows it: `<data dir>/admin-token`. */
export function adminTokenFilePath(dataDir: string): string {
  return join(dataDir, 'admin-token');
}

/**
 * Writes a generated admin token to `adminTokenFilePath(dataDir)`, readable only by its owner (0600). It is written
 * under a fresh random name (`wx`: never through a file or link someone planted) and renamed into place, so the file
 * is never seen half-written or with wider permissions, and a link planted at the final name is replaced, not
 * followed. Returns the path.
 */
export function writeAdminTokenFile(dataDir: string, token: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = adminTokenFilePath(dataDir);
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, `${token}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(temporary, path);
  return path;
}
