import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';

/**
 * socket.io with Tether's heartbeat. A client that vanishes without closing (laptop lid, Wi-Fi gone) is noticed
 * only when it misses a pong: within pingInterval + pingTimeout, 45 s with socket.io's defaults, all the while
 * holding its offers. The options apply to the whole server (/agents and /supervisors share it).
 */
export class HeartbeatIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly heartbeat: { pingInterval: number; pingTimeout: number },
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: Partial<ServerOptions>): Server {
    return super.createIOServer(port, { ...options, ...this.heartbeat }) as Server;
  }
}
