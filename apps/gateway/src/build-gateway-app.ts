import type { AppBuilder } from '@tether/runtime';
import { createHttpApp } from '@tether/transport';
import { GatewayModule } from './gateway.module';
import { GatewayIoAdapter } from './gateway-io.adapter';

export const buildGatewayApp: AppBuilder = (core) =>
  createHttpApp({
    module: GatewayModule.forRoot(core),
    bodyLimitBytes: 64 * 1024,
    trustedProxies: core.config.trustedProxies,
    configure: (app) => {
      app.useWebSocketAdapter(
        new GatewayIoAdapter(app, {
          pingInterval: core.config.socketPingIntervalMs,
          pingTimeout: core.config.socketPingTimeoutMs,
        }),
      );
    },
  });
