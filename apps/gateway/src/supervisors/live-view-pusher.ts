import { Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { Principal, visibleLines } from '@tether/auth';
import { scrubText } from '@tether/observability';
import type { LiveViewPayload, SupervisorServerToClientEvents } from '@tether/realtime';
import type { Line } from '@tether/routing';
import type { LivePageRequest, LiveViewService, PreparedLiveView } from '@tether/supervision';

/** At most one `live:view` per socket this often: every push is at least this far from the one before. */
export const LIVE_VIEW_MIN_INTERVAL_MS = 500;

/** What the pusher needs of a socket: who it is, where to send, which page of each line it looks at. */
export type LiveViewSocket = Pick<
  Socket<Record<string, never>, SupervisorServerToClientEvents>,
  'id' | 'emit' | 'connected'
> & {
  data: { principal: Principal; pages?: Map<Line, number> };
};

/**
 * Pushes `live:view` to the supervisors' sockets of this gateway: a change marks every socket due, a connect or a
 * page turn marks one; due sockets are served together, coalesced (at most one push per 500 ms), with one read
 * (`LiveViewService.read`, every line and page any due socket needs) and one view built per distinct scope and pages.
 */
export class LiveViewPusher {
  private readonly logger = new Logger('SupervisorsGateway');
  private readonly sockets = new Set<LiveViewSocket>();
  private readonly due = new Set<LiveViewSocket>();
  private timer?: NodeJS.Timeout;
  private pushing = false;
  private lastPushAt = 0;
  private stopped = false;

  constructor(
    private readonly liveView: LiveViewService,
    private readonly lines: () => Promise<Line[]>,
  ) {}

  add(socket: LiveViewSocket): void {
    this.sockets.add(socket);
    this.refresh(socket);
  }

  remove(socket: LiveViewSocket): void {
    this.sockets.delete(socket);
    this.due.delete(socket);
  }

  /** Something on the floor changed: every socket gets a fresh view (coalesced). */
  changed(): void {
    if (this.sockets.size === 0) return;
    for (const socket of this.sockets) this.due.add(socket);
    this.schedule();
  }

  /** This socket needs a view (it connected, or turned a page). */
  refresh(socket: LiveViewSocket): void {
    this.due.add(socket);
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.timer || this.pushing || this.stopped) return;
    const wait = Math.max(0, this.lastPushAt + LIVE_VIEW_MIN_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.push();
    }, wait);
    this.timer.unref();
  }

  private async push(): Promise<void> {
    const sockets = [...this.due].filter((s) => s.connected);
    this.due.clear();
    if (sockets.length === 0) return;
    this.pushing = true;
    this.lastPushAt = Date.now();
    try {
      const all = await this.lines();
      const scoped = sockets.map((socket) => {
        const lines = visibleLines(socket.data.principal, all);
        const pageOf = (line: Line) => socket.data.pages?.get(line) ?? 0;
        return { socket, lines, pageOf, key: lines.map((l) => `${l}@${pageOf(l)}`).join(',') };
      });
      const lines = [...new Set(scoped.flatMap((s) => s.lines))];
      const pages = new Map<string, LivePageRequest>();
      for (const s of scoped)
        for (const line of s.lines) pages.set(`${line}@${s.pageOf(line)}`, { line, page: s.pageOf(line) });
      const prepared: PreparedLiveView = await this.liveView.read(lines, [...pages.values()]);
      const views = new Map<string, LiveViewPayload>();
      for (const { socket, lines: visible, pageOf, key } of scoped) {
        let view = views.get(key);
        if (!view) views.set(key, (view = this.liveView.viewFor(prepared, visible, pageOf)));
        socket.emit('live:view', view);
      }
    } catch (error) {
      this.logger.warn(`live view failed: ${scrubText((error as Error).message)}`);
      // try those sockets again at the next change or page turn, or now if nothing comes
      for (const socket of sockets) this.due.add(socket);
    } finally {
      this.pushing = false;
      if (this.due.size > 0) this.schedule();
    }
  }
}
