import { createServer } from 'node:net';

/**
 * A TCP port that was free a moment ago on 127.0.0.1: the OS picks it (listen on port 0) and we release it.
 * Another process can still take it before the caller binds it; for tests on one machine that race is rare enough.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: the server has no TCP address'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
