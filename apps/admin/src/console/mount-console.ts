import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The web console's static files at /console/: `apps/admin/console`, copied with its vendored ES modules (preact,
 * htm, uPlot, socket.io-client) to `dist/apps/admin/console` by `npm run build` (scripts/copy-console.mjs). Public:
 * the files carry no data, and the page calls the REST API and the gateway with the token its user signs in with.
 */
export function mountConsole(app: NestFastifyApplication, root = consoleRoot()): void {
  if (!existsSync(join(root, 'index.html'))) {
    new Logger('Console').warn(`no console at ${root} (run npm run build): /console is not served`);
    return;
  }
  app.useStaticAssets({
    root,
    prefix: '/console/',
    index: 'index.html',
    // /console answers with a redirect to /console/, so the page's relative imports resolve
    redirect: true,
    // the page's scripts change with the build: revalidate rather than cache for long
    cacheControl: true,
    maxAge: 0,
    // @fastify/static 10 hands this Fastify's reply (Nest's option type still says a raw response)
    setHeaders: (response) => {
      void (response as unknown as FastifyReply)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('x-frame-options', 'DENY');
    },
  });
}

/** dist/apps/admin/src/console → dist/apps/admin/console (apps/admin/console when run from the sources) */
function consoleRoot(): string {
  return resolve(__dirname, '..', '..', 'console');
}
