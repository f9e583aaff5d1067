import { Logger } from '@nestjs/common';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@tether/config';
import { adminTokenFilePath } from './admin-token-file';
import { SecretsService } from './secrets.service';

/** The `settings` table as SecretsService uses it: read a key, insert it unless present. */
function settingsTable(): DataSource {
  const stored = new Map<string, string>();
  const query = (sql: string, params: string[] = []): Promise<unknown[]> => {
    if (/^\s*SELECT/i.test(sql)) {
      const value = stored.get(params[0]);
      return Promise.resolve(value === undefined ? [] : [{ value }]);
    }
    if (/^\s*INSERT/i.test(sql)) {
      if (stored.has(params[0])) return Promise.resolve([]);
      stored.set(params[0], params[1]);
      return Promise.resolve([{ value: params[1] }]);
    }
    return Promise.resolve([]);
  };
  return { query, manager: { query } } as unknown as DataSource;
}

/** How a generated admin token is handed over: the terminal when there is one, else a file and its path logged. */
describe('SecretsService: the generated admin token', () => {
  let dataDir: string;
  let written: string[];
  let logged: string[];
  const isTTY = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY');
  const setTTY = (value: boolean) =>
    Object.defineProperty(process.stdout, 'isTTY', { value, configurable: true, writable: true });

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tether-secrets-'));
    written = [];
    logged = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    jest.spyOn(Logger.prototype, 'log').mockImplementation((message: unknown) => {
      logged.push(String(message));
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    if (isTTY) Object.defineProperty(process.stdout, 'isTTY', isTTY);
    else delete (process.stdout as { isTTY?: boolean }).isTTY;
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(tty: boolean): Promise<SecretsService> {
    setTTY(tty);
    const secrets = new SecretsService(settingsTable(), loadConfig({ TETHER_DATA_DIR: dataDir }));
    await secrets.onModuleInit();
    return secrets;
  }

  it('on a terminal: shown there once, and no file', async () => {
    const secrets = await start(true);
    const shown = written.join('').match(/admin token \(shown once, store it\): (\S+)/)?.[1];
    expect(shown).toBeDefined();
    expect(secrets.isAdminToken(shown!)).toBe(true);
    expect(existsSync(adminTokenFilePath(dataDir))).toBe(false);
  });

  it('without one: written to a file only its owner reads; the log names the file, never the token', async () => {
    const secrets = await start(false);
    const file = adminTokenFilePath(dataDir);
    const token = readFileSync(file, 'utf8').trim();
    expect(secrets.isAdminToken(token)).toBe(true);
    expect(secrets.isAdminToken(`${token}x`)).toBe(false);
    expect(logged.some((line) => line.includes(file))).toBe(true);
    for (const text of [...logged, ...written]) expect(text).not.toContain(token);
  });
});
