import { IoAdapter } from '@nestjs/platform-socket.io';
import { AppBuilder, createHttpApp } from '@tether/transport';
import { GatewayModule } from './gateway.module';

export const buildGatewayApp: AppBuilder = (config) =>
  createHttpApp({
    module: GatewayModule.forRoot(config),
    bodyLimitBytes: 64 * 1024,
    configure: (app) => {
      app.useWebSocketAdapter(new IoAdapter(app));
    },
  });
