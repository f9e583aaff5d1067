/**
 * One load-generator process of the connected-agents benchmark: holds a share of the 10,000 agent sockets
 * (socket.io-client, websocket transport) and reports, over IPC, when they are connected and when each received the
 * first `queue` snapshot with a waiting contact after being armed. Times are CLOCK_MONOTONIC microseconds, the same
 * clock in every process on the machine, so the parent can compare them with the moment it posted the call.
 */
import { io, type Socket } from 'socket.io-client';
import { mapConcurrent } from '../common/bench-cli';
import { monotonicMicros } from '../common/cpu-profile';

export type SwarmCommand =
  | { type: 'connect'; url: string; tokens: string[]; concurrency: number }
  | { type: 'arm' }
  | { type: 'collect' }
  | { type: 'close' };

export type SwarmReport =
  | { type: 'connected'; connected: number; failed: number; firstError?: string }
  | { type: 'received'; times: number[]; missing: number };

const sockets: Socket[] = [];
let armed = false;
const received = new Map<Socket, number>();

function send(report: SwarmReport): void {
  process.send?.(report);
}

function connectOne(url: string, token: string): Promise<void> {
  const socket = io(`${url}/agents`, {
    auth: { token },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: 60_000,
  });
  sockets.push(socket);
  socket.on('queue', (snapshot: { waiting?: unknown[] }) => {
    if (armed && (snapshot.waiting?.length ?? 0) > 0 && !received.has(socket)) {
      received.set(socket, monotonicMicros());
      if (received.size === sockets.length) report();
    }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no session within 60 s')), 60_000);
    socket.once('connect_error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
    // the server sends the first snapshot once the session is set up (rooms joined)
    socket.once('queue', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function report(): void {
  if (!armed) return;
  armed = false;
  send({ type: 'received', times: [...received.values()], missing: sockets.length - received.size });
}

process.on('message', (command: SwarmCommand) => {
  switch (command.type) {
    case 'connect': {
      let failed = 0;
      let firstError: string | undefined;
      void mapConcurrent(command.tokens, command.concurrency, (token) =>
        connectOne(command.url, token).catch((error: Error) => {
          failed++;
          firstError ??= error.message;
        }),
      ).then(() =>
        send({ type: 'connected', connected: command.tokens.length - failed, failed, firstError }),
      );
      return;
    }
    case 'arm':
      received.clear();
      armed = true;
      return;
    case 'collect':
      report();
      return;
    case 'close':
      for (const socket of sockets) socket.disconnect();
      setTimeout(() => process.exit(0), 200);
      return;
  }
});
