import { join } from 'node:path';
import { REPO_ROOT } from '../common/bench-cli';
import { freePort, startNode, StartedProcess, waitHealthy } from '../common/child-process';

/** Starts durable-floor.server.js as its own process over `databaseUrl` (a database of its own, created fresh). */
export async function startDurableFloor(options: {
  secret: string;
  databaseUrl: string;
  callbackUrl?: string;
}): Promise<{ process: StartedProcess; url: string }> {
  const port = await freePort();
  const started = startNode('durable floor', join(REPO_ROOT, 'dist/bench/durable/durable-floor.server.js'), {
    args: ['--port', String(port), ...(options.callbackUrl ? ['--callback-url', options.callbackUrl] : [])],
    env: { PATH: process.env.PATH, BARE_WEBHOOK_SECRET: options.secret, DATABASE_URL: options.databaseUrl },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(started, `${url}/health`);
  return { process: started, url };
}
