import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tcpConnect } from 'node:net';
import { freePort } from './free-port';

export interface PrivateRedisOptions {
  /** `--requirepass`: clients must authenticate (the default user's password) */
  password?: string;
  /** serve TLS only, with a certificate for 127.0.0.1/localhost from a throwaway CA (`ca` in the result) */
  tls?: boolean;
}

export interface PrivateRedis {
  /** `redis://` (or `rediss://` with tls) to 127.0.0.1, with the password when one is set */
  url: string;
  /** the same without credentials */
  urlWithoutPassword: string;
  port: number;
  /** the CA that signed the server's certificate (PEM), with tls */
  ca?: string;
  stop(): Promise<void>;
}

/**
 * A Redis server of the test's own (Debian's `redis-server`, as `npm test` provisions it), for what the shared
 * TEST_REDIS_URL server cannot show: a password (`--requirepass`) or TLS. No persistence; `stop()` kills it and
 * removes its directory.
 */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'tether-private-redis-'));
  const port = await freePort();
  const args = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  args.push('--logfile', join(dir, 'redis.log'), '--daemonize', 'no');
  if (options.password) args.push('--requirepass', options.password);
  let ca: string | undefined;
  if (options.tls) {
    ca = makeCertificates(dir);
    args.push('--port', '0', '--tls-port', String(port));
    args.push('--tls-cert-file', join(dir, 'server.pem'), '--tls-key-file', join(dir, 'server.key'));
    args.push('--tls-ca-cert-file', join(dir, 'ca.pem'), '--tls-auth-clients', 'no');
  } else {
    args.push('--port', String(port));
  }
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('error', () => undefined);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(child, port, dir);
  } catch (error) {
    await stop();
    throw error;
  }
  const scheme = options.tls ? 'rediss' : 'redis';
  const credentials = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return {
    url: `${scheme}://${credentials}127.0.0.1:${port}`,
    urlWithoutPassword: `${scheme}://127.0.0.1:${port}`,
    port,
    ca,
    stop,
  };
}

function makeCertificates(dir: string): string {
  const openssl = (...args: string[]) => {
    const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
  };
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=tether test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  );
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'server.ext',
    '-out',
    'server.pem',
  );
  return readFileSync(join(dir, 'ca.pem'), 'utf8');
}

async function waitForPort(child: ChildProcess, port: number, dir: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await accepts(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  let log = '';
  try {
    log = readFileSync(join(dir, 'redis.log'), 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    /* no log written */
  }
  throw new Error(`redis-server did not listen on :${port}\n${log}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
