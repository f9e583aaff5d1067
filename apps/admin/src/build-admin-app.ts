import { createHttpApp } from '@tether/transport';
import type { AppBuilder } from '@tether/transport';
import { AdminModule } from './admin.module';

export const buildAdminApp: AppBuilder = (config) =>
  createHttpApp({
    module: AdminModule.forRoot(config),
    bodyLimitBytes: 1024 * 1024,
    swagger: {
      title: 'Tether admin API',
      description:
        'Agents, customers and routing rules. Line apps (3001-3003) serve the telephony webhooks, documented at their own /docs.',
    },
  });
