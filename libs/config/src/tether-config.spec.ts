import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDirFrom } from './tether-config';

describe('dataDirFrom: where embedded PostgreSQL keeps its data', () => {
  let base: string;
  let open: string;
  let hidden: string;

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'tether-data-dir-'));
    chmodSync(base, 0o755);
    open = join(base, 'open', 'tether');
    mkdirSync(open, { recursive: true, mode: 0o755 });
    chmodSync(join(base, 'open'), 0o755);
    chmodSync(open, 0o755);
    const privateDir = join(base, 'private');
    hidden = join(privateDir, 'tether');
    mkdirSync(hidden, { recursive: true });
    chmodSync(privateDir, 0o700); // like /root or mktemp -d
  });

  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('TETHER_DATA_DIR wins, relative to the working directory', () => {
    expect(dataDirFrom('/srv/tether', hidden, true)).toBe('/srv/tether');
    expect(dataDirFrom('data', hidden, true)).toBe(join(hidden, 'data'));
  });

  it('an ordinary user keeps ./.tether-data, even in a private directory', () => {
    expect(dataDirFrom(undefined, hidden, false)).toBe(join(hidden, '.tether-data'));
    expect(dataDirFrom(undefined, open, false)).toBe(join(open, '.tether-data'));
  });

  it('root keeps ./.tether-data where the postgres user can reach it', () => {
    expect(dataDirFrom(undefined, open, true)).toBe(join(open, '.tether-data'));
  });

  it('root in a private directory gets the same directory under /var/lib/tether on every start, one per checkout', () => {
    const chosen = dataDirFrom(undefined, hidden, true);
    expect(chosen).toMatch(/^\/var\/lib\/tether\/tether-[0-9a-f]{12}$/);
    expect(dataDirFrom(undefined, hidden, true)).toBe(chosen);
    const other = join(base, 'private', 'other checkout');
    mkdirSync(other);
    const otherChosen = dataDirFrom(undefined, other, true);
    expect(otherChosen).toMatch(/^\/var\/lib\/tether\/other-checkout-[0-9a-f]{12}$/);
    expect(otherChosen.slice(-12)).not.toBe(chosen.slice(-12));
  });
});
