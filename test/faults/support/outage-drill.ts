import {
  type AckResponse,
  type AgentClient,
  type DatabasePool,
  type FigureRow,
  type TelephonyClient,
  type TestFloor,
  describeMs,
  uniqueCallId,
  uniquePhone,
} from '@tether/testing';
import { between, sleep } from './faults';
import type { OfferLedger } from './offer-ledger';

/**
 * What the outage specs (redis-outage, postgres-stall) share: agents that work whatever they are offered, a steady
 * stream of call webhooks labelled with the phase of the drill they were sent in, the platform's retry of what was
 * not answered 2xx, and the checks that nothing answered 2xx was lost and no assignment was left half-written.
 */

/** Agents that accept what they are offered, complete it, and put themselves back when the server sets them away. */
export class WorkingAgents {
  accepted = 0;
  completed = 0;
  /** acks that did not come back within the client's 5 s (the server may still have done it) */
  lostAcks = 0;
  /** times the server set one of them away (an offer expired in their hands) */
  setAway = 0;
  /** answers "internal error, try again" that were tried again */
  triedAgain = 0;
  readonly refusals = new Map<string, number>();
  readonly failures: string[] = [];
  private stopped = false;

  private constructor(readonly clients: AgentClient[]) {}

  static async start(
    floor: TestFloor,
    gateways: readonly string[],
    count: number,
    ledger: OfferLedger,
  ): Promise<WorkingAgents> {
    const clients: AgentClient[] = [];
    for (let i = 0; i < count; i++)
      clients.push(await floor.agent({ lines: ['sales'], gatewayUrl: gateways[i % gateways.length] }));
    const agents = new WorkingAgents(clients);
    for (const client of clients) {
      ledger.watch(client);
      client.on('offer', (offer) => void agents.work(client, offer.offerId, offer.contact.id));
      client.on('agent:presence', (event) => {
        if (event.state !== 'away' || agents.stopped) return;
        agents.setAway++;
        void agents.backToWork(client);
      });
    }
    return agents;
  }

  stop(): void {
    this.stopped = true;
    for (const client of this.clients) client.close();
  }

  private async work(client: AgentClient, offerId: string, contactId: string): Promise<void> {
    await sleep(between(10, 40));
    const ack = await this.retryingTryAgain(() => client.accept(offerId));
    if (ack === 'lost') {
      this.lostAcks++;
      // the accept may have gone through after all: finishing the contact tells (an error if it is not ours)
      await this.complete(client, contactId, true);
      return;
    }
    if (!ack.ok) {
      this.refusals.set(ack.error, (this.refusals.get(ack.error) ?? 0) + 1);
      return;
    }
    this.accepted++;
    await sleep(between(100, 300));
    await this.complete(client, contactId, false);
  }

  /**
   * `unsure`: the accept's answer was lost, so the contact may or may not be this agent's (an accept stuck behind the
   * fault may still commit): ask again for a while before concluding it is not.
   */
  private async complete(client: AgentClient, contactId: string, unsure: boolean): Promise<void> {
    for (let attempt = 0; attempt < 20 && !this.stopped; attempt++) {
      const done = await this.retryingTryAgain(() => client.complete(contactId, 'resolved'));
      if (done === 'lost') {
        this.lostAcks++;
        continue;
      }
      if (done.ok) {
        this.completed++;
        return;
      }
      if (/already completed/i.test(done.error)) return;
      if (unsure && /not assigned/i.test(done.error)) {
        await sleep(1_000);
        continue;
      }
      this.failures.push(`complete ${contactId}: ${done.error}`);
      return;
    }
  }

  private async backToWork(client: AgentClient): Promise<void> {
    for (let attempt = 0; attempt < 12 && !this.stopped; attempt++) {
      await sleep(100);
      const ack = await settle(client.setStatus('available'));
      if (ack !== 'lost' && ack.ok) return;
    }
  }

  /**
   * The gateway answers `internal error, try again` when something behind it failed (the change may or may not
   * have been made); accept, reject and complete are safe to repeat, so a desktop client does as it is told.
   */
  private async retryingTryAgain(send: () => Promise<AckResponse>): Promise<AckResponse | 'lost'> {
    for (let attempt = 0; ; attempt++) {
      const ack = await settle(send());
      if (ack === 'lost' || ack.ok || !/try again/i.test(ack.error) || attempt >= 20 || this.stopped)
        return ack;
      this.triedAgain++;
      await sleep(250);
    }
  }
}

function settle(ack: Promise<AckResponse>): Promise<AckResponse | 'lost'> {
  return ack.catch(() => 'lost' as const);
}

export interface WebhookRecord {
  callId: string;
  phase: string;
  sentAt: number;
  tookMs?: number;
  /** HTTP status, or what went wrong instead */
  status: number | 'timeout' | 'error';
  error?: string;
  /** the platform's retry after the drill, for a call not answered 2xx the first time */
  retryStatus?: number | 'timeout' | 'error';
}

export function is2xx(status: WebhookRecord['status'] | undefined): boolean {
  return typeof status === 'number' && status >= 200 && status < 300;
}

/** Posts one new call and records how it was answered (a timeout is an answer too: the platform gave up). */
export async function postRecordedCall(
  line: TelephonyClient,
  phase: string,
  timeoutMs: number,
  log: WebhookRecord[],
): Promise<WebhookRecord> {
  const body = { callId: uniqueCallId('CA-out'), from: uniquePhone(), to: '+15550000001' };
  const record: WebhookRecord = { callId: body.callId, phase, sentAt: Date.now(), status: 'error' };
  log.push(record);
  try {
    const response = await line.postCall(body, { timeoutMs });
    record.status = response.status;
  } catch (error) {
    const message = (error as Error).message;
    record.status = /timeout|aborted/i.test(message) ? 'timeout' : 'error';
    record.error = message;
  }
  record.tookMs = Date.now() - record.sentAt;
  return record;
}

/** The platform retries every call it did not get a 2xx for (same callId: 200 if Tether had it, else 201). */
export async function retryUnanswered(
  lines: readonly TelephonyClient[],
  log: readonly WebhookRecord[],
): Promise<void> {
  await Promise.all(
    log
      .filter((r) => !is2xx(r.status))
      .map(async (r, i) => {
        try {
          const response = await lines[i % lines.length].postCall(
            { callId: r.callId, from: uniquePhone(), to: '+15550000001' },
            { timeoutMs: 15_000 },
          );
          r.retryStatus = response.status;
        } catch {
          r.retryStatus = 'error';
        }
      }),
  );
}

/** Per phase: how the webhooks were answered and how long they took. */
export function webhookFigures(log: readonly WebhookRecord[], phases: readonly string[]): FigureRow[] {
  return phases.map((phase) => {
    const of = log.filter((r) => r.phase === phase);
    const count = (status: (r: WebhookRecord) => boolean) => of.filter(status).length;
    const latency = describeMs(of.flatMap((r) => (r.tookMs === undefined ? [] : [r.tookMs])));
    return [
      `webhooks ${phase}`,
      `${of.length}: 2xx ${count((r) => is2xx(r.status))}, 5xx ${count((r) => typeof r.status === 'number' && r.status >= 500)}, ` +
        `other ${count((r) => typeof r.status === 'number' && !is2xx(r.status) && r.status < 500)}, timeout ${count((r) => r.status === 'timeout')}, ` +
        `error ${count((r) => r.status === 'error')}; ${latency}`,
    ] as const;
  });
}

/** Calls answered 2xx (at first or on retry) that are not in the database, or were not answered and completed. */
export async function lostOrUnserved(
  db: DatabasePool,
  log: readonly WebhookRecord[],
): Promise<{ lost: string[]; unserved: string[] }> {
  const answered = log.filter((r) => is2xx(r.status) || is2xx(r.retryStatus)).map((r) => r.callId);
  const rows = await db.query<{ external_id: string; end_reason: string | null }>(
    `SELECT external_id, end_reason FROM contacts WHERE external_id = ANY($1)`,
    [answered],
  );
  const byCall = new Map(rows.map((r) => [r.external_id, r.end_reason]));
  return {
    lost: answered.filter((callId) => !byCall.has(callId)),
    unserved: answered.filter((callId) => byCall.has(callId) && byCall.get(callId) !== 'completed'),
  };
}

/**
 * An assignment is written whole or not at all: contact status, its offers, and the agent's slot agree. Returns one
 * line per disagreement (empty when consistent). One statement reads one snapshot, and every assignment commits in
 * one transaction, so the answer is meaningful at any moment, in flight and mid-outage too (`watchHalfWrites`).
 */
export async function halfWrittenAssignments(db: DatabasePool): Promise<string[]> {
  const problems = await db.query<{ what: string; id: string }>(`
    SELECT 'offered contact without its pending offer' AS what, c.id::text FROM contacts c
      WHERE c.status = 'offered' AND NOT EXISTS (
        SELECT 1 FROM offers o WHERE o.contact_id = c.id AND o.state = 'pending' AND o.agent_id = c.offered_agent_id)
    UNION ALL
    SELECT 'pending offer of a contact not offered to that agent', o.id::text FROM offers o JOIN contacts c ON c.id = o.contact_id
      WHERE o.state = 'pending' AND (c.status <> 'offered' OR c.offered_agent_id IS DISTINCT FROM o.agent_id)
    UNION ALL
    SELECT 'connected contact without its accepted offer', c.id::text FROM contacts c
      WHERE c.status = 'connected' AND NOT EXISTS (
        SELECT 1 FROM offers o WHERE o.contact_id = c.id AND o.state = 'accepted' AND o.agent_id = c.agent_id)
    UNION ALL
    SELECT 'accepted offer whose contact is not that agent''s', o.id::text FROM offers o JOIN contacts c ON c.id = o.contact_id
      WHERE o.state = 'accepted' AND (c.agent_id IS DISTINCT FROM o.agent_id OR c.status NOT IN ('connected', 'ended'))
    UNION ALL
    SELECT 'slot count differs from what the agent holds', s.agent_id::text FROM agent_slots s
      WHERE s.used <> (SELECT count(*) FROM offers o WHERE o.agent_id = s.agent_id AND o.channel = s.channel AND o.state = 'pending')
                    + (SELECT count(*) FROM contacts c WHERE c.agent_id = s.agent_id AND c.channel = s.channel AND c.work_open)`);
  return problems.map((p) => `${p.what}: ${p.id}`);
}

/**
 * `halfWrittenAssignments` every `intervalMs` from now until `stop()`: whatever any moment of a drill saw (the
 * outage included, when a half-written state would show before the recovery repairs or hides it), each disagreement
 * once, and how many checks ran, so a watch that never managed to look cannot pass for a clean one.
 */
export function watchHalfWrites(
  db: DatabasePool,
  intervalMs = 200,
): { stop(): Promise<{ problems: string[]; checks: number }> } {
  const seen = new Set<string>();
  let checks = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        for (const problem of await halfWrittenAssignments(db)) seen.add(problem);
        checks++;
      } catch {
        // the harness reaches PostgreSQL directly, not through the fault: a failed check is only a missed look
      }
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      for (const problem of await halfWrittenAssignments(db)) seen.add(problem);
      return { problems: [...seen], checks: checks + 1 };
    },
  };
}

/** The apps' logged errors (pino level 50), grouped by message: what "internal error, try again" hid. */
export function loggedErrors(logs: string, top = 6): string {
  const counts = new Map<string, number>();
  for (const line of logs.split('\n')) {
    if (!line.includes('"level":50')) continue;
    let msg = 'unparsed';
    try {
      const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
      msg = `${entry.msg ?? ''}${entry.err?.message ? `: ${entry.err.message}` : ''}`;
    } catch {
      /* a line cut by the capture limit */
    }
    msg = msg.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>').slice(0, 90);
    counts.set(msg, (counts.get(msg) ?? 0) + 1);
  }
  const sorted = [...counts].sort((a, b) => b[1] - a[1]).slice(0, top);
  return sorted.map(([msg, n]) => `${n}x ${msg}`).join(' | ') || 'none';
}
