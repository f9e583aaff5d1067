import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { AsyncResource } from 'node:async_hooks';
import type { Server, ServerOptions, Socket } from 'socket.io';

/**
 * socket.io as the gateway runs it.
 *
 * Heartbeat: a client that vanishes without closing (laptop lid, Wi-Fi gone) is noticed only when it misses a pong:
 * within pingInterval + pingTimeout, 45 s with socket.io's defaults, all the while holding its offers. The options
 * apply to the whole server (/agents and /supervisors share it).
 *
 * Context: a websocket's frames arrive in the async context of its TCP connection, which is nobody's, so the
 * gateway's connect and disconnect handlers and every client event (through a socket middleware, before the
 * listeners run) are run in the context this adapter was made in: the gateway app's, whose logs name it.
 */
export class GatewayIoAdapter extends IoAdapter {
  private readonly appContext = new AsyncResource('GatewayIoAdapter');

  constructor(
    app: INestApplicationContext,
    private readonly heartbeat: { pingInterval: number; pingTimeout: number },
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: Partial<ServerOptions>): Server {
    return super.createIOServer(port, { ...options, ...this.heartbeat }) as Server;
  }

  override bindClientConnect(server: Server, callback: (socket: Socket) => void): void {
    server.on('connection', (socket: Socket) => {
      socket.use((_packet, next) => this.appContext.runInAsyncScope(next));
      this.appContext.runInAsyncScope(callback, null, socket);
    });
  }

  override bindClientDisconnect(socket: Socket, callback: (reason: string) => void): void {
    socket.on('disconnect', (reason) => this.appContext.runInAsyncScope(callback, null, reason));
  }
}
