import { AppBuilder, createHttpApp } from '@tether/transport';
import { GatewayModule } from './gateway.module';
import { HeartbeatIoAdapter } from './heartbeat-io.adapter';

export const buildGatewayApp: AppBuilder = (config) =>
  createHttpApp({
    module: GatewayModule.forRoot(config),
    bodyLimitBytes: 64 * 1024,
    configure: (app) => {
      app.useWebSocketAdapter(
        new HeartbeatIoAdapter(app, {
          pingInterval: config.socketPingIntervalMs,
          pingTimeout: config.socketPingTimeoutMs,
        }),
      );
    },
  });
