import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { LineRoutingRepository, toEngineAgent, toEngineContact } from '@tether/contacts';
import { one } from '@tether/persistence';
import type {
  LiveLineToday,
  LiveViewAgent,
  LiveViewPayload,
  LiveWaitingContact,
  SupervisorLiveMetricsPayload,
} from '@tether/realtime';
import { ReportService } from '@tether/reports';
import { Line, waitingReason } from '@tether/routing';
import type { LivePageRequest, LiveViewFacts } from './live-view.types';

/** Waiting contacts per line and page in `live:view`: the view's size does not grow with the queue. */
export const LIVE_PAGE_SIZE = 25;
/** Today's figures are read at most this often (they are `metrics:live`'s, refreshed every 5 s). */
const TODAY_MAX_AGE_MS = 4000;

/** One read of the live view's facts, its contacts' reasons worked out once: every socket's view is cut from it. */
export interface PreparedLiveView {
  at: string;
  totals: Map<Line, number>;
  pages: Map<string, LiveWaitingContact[]>;
  agents: (LiveViewAgent & { linesSet: ReadonlySet<Line> })[];
  today: Map<Line, LiveLineToday>;
}

/**
 * The supervisors' live view: what waits (per line, a page at a time, with why it waits: `waitingReason`, the
 * routing pass's own policy read from the same facts), the agents (state, load, what they hold), today's figures.
 * `read` is one statement (`tether_live_view`) for every socket of a gateway; `viewFor` cuts one supervisor's view
 * (the lines they may see, the pages they turned to) out of it without another read.
 */
@Injectable()
export class LiveViewService {
  private today?: {
    at: number;
    metrics: Promise<SupervisorLiveMetricsPayload>;
    value?: SupervisorLiveMetricsPayload;
  };
  private refreshing = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly rules: LineRoutingRepository,
    private readonly reports: ReportService,
  ) {}

  /** The facts for these lines and pages, worked into what views are cut from. */
  async read(lines: readonly Line[], pages: readonly LivePageRequest[]): Promise<PreparedLiveView> {
    const [row, metrics] = await Promise.all([
      one<{ view: LiveViewFacts }>(
        this.dataSource.manager,
        `SELECT tether_live_view($1, $2, $3, $4) AS view`,
        [lines, pages.map((p) => p.line), pages.map((p) => p.page), LIVE_PAGE_SIZE],
      ),
      this.liveMetrics(),
    ]);
    return this.prepare(row!.view, metrics);
  }

  /**
   * `metrics:live`'s figures, read at most every few seconds whoever asks (the view's pushes and the 5 s
   * `metrics:live` timer share them). Once read, a stale copy is answered at once while the next read runs: a push
   * never waits for the reports' query (it folds the day's events), which would add its time to every fifth push.
   * `fresh`: read now and keep it (`metrics:live` on connect and on its timer: what it sends is never stale).
   */
  async liveMetrics(fresh = false): Promise<SupervisorLiveMetricsPayload> {
    if (fresh) {
      const value = await this.reports.live();
      this.today = { at: Date.now(), metrics: Promise.resolve(value), value };
      return value;
    }
    const now = Date.now();
    if (!this.today || (now - this.today.at > TODAY_MAX_AGE_MS && !this.refreshing)) {
      const metrics = this.reports.live();
      this.refreshing = true;
      const known = this.today?.value;
      const entry = { at: now, metrics: known ? Promise.resolve(known) : metrics, value: known };
      this.today = entry;
      metrics.then(
        (value) => {
          this.today = { at: Date.now(), metrics: Promise.resolve(value), value };
          this.refreshing = false;
        },
        () => {
          // a failed read is not kept: the next asks again
          if (this.today === entry && !entry.value) this.today = undefined;
          this.refreshing = false;
        },
      );
    }
    return this.today.metrics;
  }

  /** One supervisor's view: the lines they may see (in order), each at the page they chose (default 0). */
  viewFor(
    prepared: PreparedLiveView,
    lines: readonly Line[],
    pageOf: (line: Line) => number,
  ): LiveViewPayload {
    return {
      at: prepared.at,
      lines: lines.map((line) => {
        const page = pageOf(line);
        return {
          line,
          waiting: {
            total: prepared.totals.get(line) ?? 0,
            page,
            pageSize: LIVE_PAGE_SIZE,
            contacts: prepared.pages.get(pageKey(line, page)) ?? [],
          },
          today: prepared.today.get(line) ?? EMPTY_TODAY,
        };
      }),
      agents: prepared.agents
        .filter((agent) => lines.some((line) => agent.linesSet.has(line)))
        .map(({ linesSet: _, ...agent }) => agent),
    };
  }

  private async prepare(
    facts: LiveViewFacts,
    metrics: SupervisorLiveMetricsPayload,
  ): Promise<PreparedLiveView> {
    const now = new Date(facts.now);
    const candidates = facts.agents.map(toEngineAgent);
    const pages = new Map<string, LiveWaitingContact[]>();
    for (const { line, page, contacts } of facts.pages) {
      const rules = await this.rules.cached(line);
      const agents = candidates.filter((a) => a.lines.includes(line));
      pages.set(
        pageKey(line, page),
        contacts.map((contact) => {
          const { stage, heldFor } = waitingReason({
            line,
            now,
            rules,
            contact: toEngineContact(line, contact),
            agents,
            notBefore: contact.notBefore ? new Date(contact.notBefore) : null,
          });
          return {
            contactId: contact.id,
            channel: contact.channel,
            waitingSeconds: Math.max(0, Math.floor((now.getTime() - Date.parse(contact.enqueuedAt)) / 1000)),
            priority: contact.priority,
            stage,
            heldFor,
            customer: contact.customer,
          };
        }),
      );
    }
    return {
      at: now.toISOString(),
      totals: new Map(facts.totals.map((t) => [t.line, t.total])),
      pages,
      agents: facts.agents.map((agent) => ({
        agentId: agent.id,
        name: agent.name,
        status: agent.state,
        lines: agent.lines,
        load: agent.load,
        contactId: agent.contactId,
        inStateSeconds: Math.max(0, Math.floor((now.getTime() - Date.parse(agent.stateSince)) / 1000)),
        linesSet: new Set(agent.lines),
      })),
      today: new Map(
        metrics.lines.map((l) => [
          l.line,
          {
            offered: l.today.offered,
            answered: l.today.answered,
            abandoned: l.today.abandoned,
            serviceLevel: l.today.serviceLevel,
            longestWaitSeconds: l.today.longestWaitSeconds,
          },
        ]),
      ),
    };
  }
}

const EMPTY_TODAY: LiveLineToday = {
  offered: 0,
  answered: 0,
  abandoned: 0,
  serviceLevel: null,
  longestWaitSeconds: null,
};

function pageKey(line: Line, page: number): string {
  return `${page}:${line}`;
}
