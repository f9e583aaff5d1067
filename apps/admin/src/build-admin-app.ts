import type { AppBuilder } from '@tether/runtime';
import { createHttpApp } from '@tether/transport';
import { AdminModule } from './admin.module';
import { mountConsole } from './console/mount-console';

export const buildAdminApp: AppBuilder = (core) =>
  createHttpApp({
    module: AdminModule.forRoot(core),
    bodyLimitBytes: 1024 * 1024,
    trustedProxies: core.config.trustedProxies,
    swagger: {
      title: 'Tether admin API',
      description:
        'Agents, customers and routing rules. Line apps (3001-3003) serve the telephony webhooks, documented at their own /docs.',
    },
    configure: (app) => mountConsole(app),
  });
