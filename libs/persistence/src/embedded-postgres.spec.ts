import { parse } from 'pg-connection-string';
import { embeddedSocketDir, MAX_UNIX_SOCKET_PATH, overUnixSocket } from './embedded-postgres';

describe("embedded PostgreSQL's unix socket", () => {
  it('goes in <dataDir>/socket while <dir>/.s.PGSQL.<port> fits a socket address (107 bytes), else none', () => {
    expect(embeddedSocketDir('/srv/tether/.tether-data', 5439)).toBe('/srv/tether/.tether-data/socket');
    // '/socket/.s.PGSQL.5439' is 21 bytes: a data dir of 86 bytes makes 107, one more does not fit
    const fits = `/${'d'.repeat(85)}`;
    expect(Buffer.byteLength(`${fits}/socket/.s.PGSQL.5439`)).toBe(MAX_UNIX_SOCKET_PATH);
    expect(embeddedSocketDir(fits, 5439)).toBe(`${fits}/socket`);
    expect(embeddedSocketDir(`${fits}d`, 5439)).toBeUndefined();
    // bytes, not characters: a multi-byte name counts for what the kernel sees
    expect(embeddedSocketDir(`/${'é'.repeat(43)}`, 5439)).toBeUndefined();
  });

  it("puts the socket's directory in the URL's host parameter, keeping user, password, port and database", () => {
    const url = overUnixSocket(
      'postgres://tether_app:p%2Fw%40@127.0.0.1:5439/tether',
      '/var/lib/tether/x/socket',
    );
    expect(parse(url)).toMatchObject({
      host: '/var/lib/tether/x/socket',
      user: 'tether_app',
      password: 'p/w@',
      port: '5439',
      database: 'tether',
    });
  });
});
