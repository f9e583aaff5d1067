import { join } from 'node:path';
import { REPO_ROOT } from '../common/bench-cli';
import { freePort, startNode, StartedProcess, waitHealthy } from '../common/child-process';

/** Starts bare-transport.server.js as its own process (so its CPU and RSS are measured like Tether's). */
export async function startBareTransport(options: {
  secret: string;
  callbackUrl?: string;
}): Promise<{ process: StartedProcess; url: string }> {
  const port = await freePort();
  const started = startNode(
    'bare transport',
    join(REPO_ROOT, 'dist/bench/transport/bare-transport.server.js'),
    {
      args: ['--port', String(port), ...(options.callbackUrl ? ['--callback-url', options.callbackUrl] : [])],
      env: { PATH: process.env.PATH, BARE_WEBHOOK_SECRET: options.secret },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(started, `${url}/health`);
  return { process: started, url };
}
