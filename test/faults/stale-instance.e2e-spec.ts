import { expect } from '@jest/globals';
import {
  type AckResponse,
  type AgentClient,
  CallbackReceiver,
  type ReceivedCallback,
  type DatabasePool,
  FAULT_BLACKHOLE,
  FAULT_PASS,
  type TelephonyClient,
  type TestFloor,
  printFigures,
  uniqueCallId,
  uniquePhone,
  waitFor,
} from '@tether/testing';
import { atSteadyRate, between, faultsScale, scaledMs, sleep } from './support/faults';
import { type ClusterProcess, FaultCluster } from './support/fault-cluster';
import { OfferLedger } from './support/offer-ledger';

/**
 * A stale instance. Three processes of each app, each reaching PostgreSQL through its own FaultProxy.
 * Under a steady call rate (offers expiring after 1 s, wrap-up timers, telephony callbacks: durable timers all the
 * time), one sales process is cut off from PostgreSQL (blackhole) at a moment it holds timer leases, for longer
 * than the 5 s lease and the 10 s idle-in-transaction timeout: the survivors claim its timers again (newer fencing
 * tokens), and whatever it had in flight (a claim's answer, a handler's statements, a completion) arrives once the
 * partition heals. Nothing it does with a lost claim may take effect: its completions and retries are refused by
 * the token, its fenced handlers refuse their effects; no contact is offered twice at once or accepted twice, no
 * agent goes above capacity, every call answered 2xx is served.
 *
 * FAULTS_SCALE=1: 20 calls/s for 16 s, the cut at 3 s for 12 s.
 */
const RATE = Math.max(1, Math.round(20 * faultsScale()));
const LOAD_MS = 16_000;
const CUT_AT_MS = 3_000;
const PARTITION_MS = 12_000;
const WORKERS = 12;
const SLEEPY = 4;
const WEBHOOK_TIMEOUT_MS = 2_000;
const VICTIM = 'faults-sales-3';

const SAMPLE_SLOTS = `
  SELECT count(*) FILTER (WHERE used > capacity)::int AS over, COALESCE(max(used), 0)::int AS max_used
  FROM agent_slots`;

interface LogEntry {
  level: number;
  msg?: string;
  jobId?: string;
  kind?: string;
  claimToken?: string;
}

/** The pino lines of one process whose message starts with `prefix`. */
function logged(process: ClusterProcess, prefix: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of process.child.logs().split('\n')) {
    if (!line.startsWith('{') || !line.includes(prefix)) continue;
    try {
      const entry = JSON.parse(line) as LogEntry;
      if (entry.msg?.startsWith(prefix)) entries.push(entry);
    } catch {
      /* a line cut by the capture limit */
    }
  }
  return entries;
}

describe('faults: a stale instance (partitioned from PostgreSQL past its leases, then back)', () => {
  let cluster: FaultCluster;
  let floor: TestFloor;
  let db: DatabasePool;
  let callbacks: CallbackReceiver;
  let victim: ClusterProcess;
  let lines: TelephonyClient[];

  beforeAll(async () => {
    callbacks = await CallbackReceiver.start();
    cluster = await FaultCluster.start({
      postgres: 'each',
      // production's poll interval, but the victim polls every 10 ms: it often holds leases when it is cut off
      env: { TETHER_TIMER_POLL_MS: '250', TETHER_TELEPHONY_CALLBACK_URL: callbacks.url },
      envOf: (app, index) => (app === 'sales' && index === 2 ? { TETHER_TIMER_POLL_MS: '10' } : undefined),
    });
    ({ floor, db } = cluster);
    victim = cluster.processes.find((p) => p.instanceId === VICTIM)!;
    lines = cluster.lines();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    await callbacks?.close();
  });

  it(
    'makes no assignment and applies no effect after it lost its claims; the survivors carry on',
    async () => {
      const started = Date.now();
      await floor.rules('sales', {
        sticky: { enabled: false, waitSeconds: 0 },
        offerTimeoutSeconds: 1,
        wrapUpSeconds: 1,
      });
      const ledger = new OfferLedger();
      const okAccepts = new Map<string, Set<string>>();
      const acceptedAt = new Map<string, { offerId: string; at: number }>();
      const failures: string[] = [];
      let completed = 0;
      let stopping = false;
      const safe = (p: Promise<AckResponse>): Promise<AckResponse> =>
        p.catch((error: Error) => ({ ok: false as const, error: error.message }));

      // ---- agents on all three gateways: workers take what they are offered; sleepy ones let it expire
      const gateways = cluster.gateways;
      const workers: AgentClient[] = [];
      for (let i = 0; i < WORKERS; i++) {
        const agent = await floor.agent({ lines: ['sales'], gatewayUrl: gateways[i % gateways.length] });
        workers.push(agent);
        ledger.watch(agent);
        agent.on('offer', (offer) => {
          void (async () => {
            await sleep(between(10, 60));
            const ack = await safe(agent.accept(offer.offerId));
            if (!ack.ok) return; // expired or revoked meanwhile: routed on by the server
            const who = okAccepts.get(offer.contact.id) ?? new Set<string>();
            who.add(agent.agentId);
            okAccepts.set(offer.contact.id, who);
            if (!acceptedAt.has(offer.contact.id))
              acceptedAt.set(offer.contact.id, { offerId: offer.offerId, at: Date.now() });
            await sleep(between(100, 300));
            for (let attempt = 0; attempt < 20; attempt++) {
              const done = await safe(agent.complete(offer.contact.id, 'resolved'));
              if (done.ok) {
                completed++;
                return;
              }
              if (/already completed/.test(done.error)) return;
              await sleep(250);
            }
            failures.push(`complete ${offer.contact.id}: gave up`);
          })();
        });
      }
      const sleepy: AgentClient[] = [];
      for (let i = 0; i < SLEEPY; i++) {
        const agent = await floor.agent({ lines: ['sales'], gatewayUrl: gateways[i % gateways.length] });
        sleepy.push(agent);
        ledger.watch(agent);
        // set away by every expiry, back a moment later: a steady supply of offer-expiry timers
        agent.on('agent:presence', (event) => {
          if (event.state !== 'away' || stopping) return;
          void sleep(100).then(() =>
            stopping ? undefined : agent.setStatus('available').catch(() => undefined),
          );
        });
      }

      // ---- capacity, sampled all along
      let slotSamples = 0;
      let overCapacity = 0;
      let maxUsed = 0;
      const sampling = (async () => {
        while (!stopping) {
          const [sample] = await db.query<{ over: number; max_used: number }>(SAMPLE_SLOTS);
          slotSamples++;
          overCapacity += sample.over;
          maxUsed = Math.max(maxUsed, sample.max_used);
          await sleep(100);
        }
      })();

      // ---- the cut: the moment the victim holds timer leases, blackhole its link to PostgreSQL
      const leasedBy = `SELECT id::text, kind, claim_token::text AS claim_token FROM scheduled_jobs
                        WHERE locked_by = $1 AND locked_until > now()`;
      const partition = (async () => {
        await sleep(CUT_AT_MS);
        const deadline = Date.now() + 10_000;
        let tries = 0;
        let cutAt = 0;
        let held: { id: string; kind: string; claim_token: string }[] = [];
        // a job is held for milliseconds: one seen leased may be done by the time the link is cut. Then the cut
        // caught nothing to lose: heal at once (a few ms of blackhole) and wait for the next lease
        while (Date.now() < deadline) {
          while (Date.now() < deadline && (await db.query(leasedBy, [VICTIM])).length === 0) {
            tries++;
            await sleep(2);
          }
          cutAt = victim.postgres!.setMode(FAULT_BLACKHOLE);
          // what it held at the cut (and had not completed): claims it is about to lose
          held = await db.query<{ id: string; kind: string; claim_token: string }>(leasedBy, [VICTIM]);
          if (held.length > 0) break;
          victim.postgres!.setMode(FAULT_PASS);
          tries++;
        }
        const takenOverAt = await waitFor(
          async () => {
            const now = await db.query<{ id: string; claim_token: string; locked_by: string }>(
              `SELECT id::text, claim_token::text AS claim_token, locked_by FROM scheduled_jobs WHERE id = ANY($1::bigint[])`,
              [held.map((j) => j.id)],
            );
            const stillTheirs = now.filter(
              (j) => j.locked_by === VICTIM && j.claim_token === held.find((h) => h.id === j.id)?.claim_token,
            );
            return stillTheirs.length === 0 && Date.now();
          },
          {
            what: 'the survivors to take the victim’s leased timers over',
            timeoutMs: PARTITION_MS,
            intervalMs: 50,
          },
        ).catch(() => undefined);
        await sleep(Math.max(0, cutAt + PARTITION_MS - Date.now()));
        const healedAt = victim.postgres!.setMode(FAULT_PASS);
        return { cutAt, healedAt, held, tries, takenOverAt };
      })();

      // ---- steady load, round-robin over the three sales processes; a call not answered in time goes to the next
      const calls: { callId: string; answered: boolean; attempts: string[] }[] = [];
      await atSteadyRate(RATE, LOAD_MS, async (i) => {
        const call = { callId: uniqueCallId('CA-stale'), answered: false, attempts: [] as string[] };
        calls.push(call);
        const body = { callId: call.callId, from: uniquePhone(), to: '+15550000001' };
        for (let attempt = 0; attempt < lines.length && !call.answered; attempt++) {
          const instance = (i + attempt) % lines.length;
          try {
            const response = await lines[instance].postCall(body, { timeoutMs: WEBHOOK_TIMEOUT_MS });
            call.attempts.push(`${instance}:${response.status}`);
            call.answered = response.status === 200 || response.status === 201;
          } catch (error) {
            call.attempts.push(`${instance}:${(error as Error).message.slice(0, 40)}`);
          }
        }
      });
      const loadEndedAt = Date.now();
      const cut = await partition;
      // the platform retries what it got no 2xx for: a callId whose insert the victim held (uncommitted, behind the
      // partition) blocks that callId's insert everywhere until the victim's transaction ends
      const retried = calls.filter((c) => !c.answered);
      await Promise.all(
        retried.map(async (call) => {
          try {
            const response = await lines[0].postCall(
              { callId: call.callId, from: uniquePhone(), to: '+15550000001' },
              { timeoutMs: 15_000 },
            );
            call.attempts.push(`retry:${response.status}`);
            call.answered = response.status === 200 || response.status === 201;
          } catch (error) {
            call.attempts.push(`retry:${(error as Error).message.slice(0, 40)}`);
          }
        }),
      );

      // ---- drain: sleepy agents leave, the workers finish everything
      stopping = true;
      await sampling;
      await Promise.all(sleepy.map((agent) => agent.setStatus('away').catch(() => undefined)));
      const drained = await waitFor(
        async () =>
          (
            await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM contacts WHERE status <> 'ended'`)
          )[0].n === 0,
        // 60 s: on a loaded CI machine the survivors' pools have timed out connecting at start (18 processes on 2
        // cores), so the backlog they finish after the partition can take longer than the load did
        { what: 'every contact ended', timeoutMs: scaledMs(60_000), intervalMs: 250 },
      ).then(
        () => true,
        () => false,
      );
      const contactIdOf = (c: ReceivedCallback) => (c.body as { contactId?: string }).contactId ?? '?';
      const connected = await db.query<{ id: string }>(
        `SELECT id::text FROM contacts WHERE connected_at IS NOT NULL`,
      );
      const callbacksDelivered = await waitFor(
        () => {
          const got = new Set(callbacks.received.history.map(contactIdOf));
          return connected.every((c) => got.has(c.id));
        },
        { what: 'a callback for every connected contact', timeoutMs: 15_000, intervalMs: 200 },
      ).then(
        () => true,
        () => false,
      );
      // whatever the victim still had queued behind the partition has arrived and been answered by now
      await sleep(1_000);
      for (const agent of [...workers, ...sleepy]) agent.close();

      // ---- the database's story
      const answered = calls.filter((c) => c.answered).map((c) => c.callId);
      const stored = await db.query<{ external_id: string; end_reason: string | null }>(
        `SELECT external_id, end_reason FROM contacts WHERE external_id = ANY($1)`,
        [answered],
      );
      const lost = answered.filter((id) => !stored.some((s) => s.external_id === id));
      const notCompleted = stored.filter((s) => s.end_reason !== 'completed');
      const doubleAccepted = await db.query(
        `SELECT contact_id FROM offers WHERE state = 'accepted' GROUP BY 1 HAVING count(*) > 1`,
      );
      const livePending = await db.query(`SELECT id FROM offers WHERE state = 'pending'`);
      const slotsLeft = await db.query(`SELECT agent_id, used FROM agent_slots WHERE used <> 0`);
      const [{ n: offerCount }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM offers`);
      const timersLeft = () =>
        db.query<{ kind: string; n: number; due_in_ms: number; attempts: number; last_error: string | null }>(
          `SELECT kind, count(*)::int AS n,
                  ceil(extract(epoch FROM max(run_at) - now()) * 1000)::int AS due_in_ms,
                  max(attempts)::int AS attempts, max(last_error) AS last_error
             FROM scheduled_jobs
            WHERE kind NOT IN ('routing.sticky-wait', 'reports.rollup') GROUP BY 1`,
        );
      // a timer set near the end is not late: an agent's socket that dropped under this load, or one closed just
      // above, leaves a disconnect grace of 15 s. Wait until the latest of them is due (plus the pollers' margin),
      // then look at what is left: a timer that was due and is still there did not fire or did not complete
      const margin = scaledMs(10_000);
      let waitUntil = Date.now() + margin;
      await waitFor(
        async () => {
          const left = await timersLeft();
          const latestDue = Math.max(0, ...left.map((j) => j.due_in_ms));
          waitUntil = Math.max(
            waitUntil,
            Math.min(Date.now() + latestDue + margin, started + scaledMs(135_000)),
          );
          // the sockets closed above are dropped by the gateways a moment later, and only then is their grace set:
          // nothing left is the answer once every agent's grace has ended too (offline)
          const [{ n: notOffline }] = await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM agent_presence WHERE state <> 'offline'`,
          );
          return (left.length === 0 && notOffline === 0) || Date.now() >= waitUntil;
        },
        { what: 'every timer fired', timeoutMs: scaledMs(60_000), intervalMs: 250 },
      ).catch(() => undefined);
      const jobsLeft = (await timersLeft()).map(
        (j) =>
          `${j.kind}=${j.n} (due in ${j.due_in_ms} ms, ${j.attempts} attempts${j.last_error ? `: ${j.last_error}` : ''})`,
      );

      // ---- the clients' story: an offer reaching two agents, two offers of one contact live at once, two accepts
      const holders = new Map<string, Set<string>>();
      for (const seen of ledger.all) {
        const who = holders.get(seen.offerId) ?? new Set<string>();
        who.add(seen.agentId);
        holders.set(seen.offerId, who);
      }
      const sharedOffers = [...holders].filter(([, who]) => who.size > 1).map(([id]) => id);
      // a contact offered again after an agent had it, or holding two live offers at once (DB)
      const offeredAfterAccept = ledger.all.filter((seen) => {
        const accepted = acceptedAt.get(seen.contactId);
        return accepted && seen.offerId !== accepted.offerId && seen.receivedAt > accepted.at;
      });
      const twoLive = await db.query<{ contact_id: string }>(
        `SELECT contact_id FROM offers WHERE state IN ('pending', 'accepted') GROUP BY 1 HAVING count(*) > 1`,
      );
      const doubleOffers = [
        ...offeredAfterAccept.map((o) => o.contactId),
        ...twoLive.map((r) => r.contact_id),
      ];
      const multiAgent = [...okAccepts].filter(([, who]) => who.size > 1);
      const perContact = new Map<string, number>();
      for (const c of callbacks.received.history)
        perContact.set(contactIdOf(c), (perContact.get(contactIdOf(c)) ?? 0) + 1);
      const duplicateCallbacks = [...perContact.values()].filter((n) => n > 1).length;

      // ---- the victim's story: what it did with the claims it lost
      const heldIds = new Set(cut.held.map((j) => `${j.id}@${j.claim_token}`));
      const refused = logged(victim, 'job claim lost');
      const lateCompletions = logged(victim, 'job completed after its lease ran out');
      // a completion under a token that had been superseded: the fence's whole point is that there are none
      const staleEffects = lateCompletions.filter((e) => heldIds.has(`${e.jobId}@${e.claimToken}`));
      const survivorLost = cluster.processes
        .filter((p) => p !== victim)
        .flatMap((p) => logged(p, 'job claim lost'));
      const survivorRefusals = survivorLost.length;
      const byWhat = new Map<string, number>();
      for (const e of refused) {
        const what = `${e.kind}: ${(e.msg ?? '').split(': ').pop()}`;
        byWhat.set(what, (byWhat.get(what) ?? 0) + 1);
      }

      printFigures('stale-instance (3 processes of each app, sales-3 cut off from PostgreSQL)', [
        ['calls sent / answered 2xx (in the end)', `${calls.length} / ${answered.length}`],
        ['calls answered only by another instance', calls.filter((c) => c.attempts.length > 1).length],
        ['offers made', offerCount],
        ['partition', `${cut.healedAt - cut.cutAt} ms, cut ${cut.cutAt - started} ms after the start`],
        [
          'victim leases held at the cut',
          `${cut.held.map((j) => j.kind).join(', ') || 'none'} (${cut.tries} polls)`,
        ],
        [
          'taken over by survivors after (cut ->)',
          cut.takenOverAt ? `${cut.takenOverAt - cut.cutAt} ms` : '-',
        ],
        [
          'victim: stale claims refused',
          `${refused.length} ${[...byWhat].map(([w, n]) => `[${n}x ${w}]`).join(' ')}`,
        ],
        [
          'victim: completions after its lease (of lost claims)',
          `${lateCompletions.length} (${staleEffects.length})`,
        ],
        [
          'survivors: stale claims refused',
          `${survivorRefusals} ${survivorLost.map((e) => `[${e.kind}: ${(e.msg ?? '').split(': ').pop()}]`).join(' ')}`,
        ],
        [
          'double offers / shared offers / doubly accepted (DB / acks)',
          `${doubleOffers.length} / ${sharedOffers.length} / ${doubleAccepted.length} / ${multiAgent.length}`,
        ],
        ['slot samples / over capacity / max used', `${slotSamples} / ${overCapacity} / ${maxUsed}`],
        [
          'telephony callbacks / contacts with a duplicate',
          `${callbacks.received.history.length} / ${duplicateCallbacks}`,
        ],
        ['contacts accepted', okAccepts.size],
        ['contacts completed by agents', completed],
        ['calls answered only on the platform’s later retry', retried.filter((c) => c.answered).length],
        ['timers left (not sticky)', jobsLeft.join('; ') || 0],
        ['client failures', failures.length ? failures.slice(0, 5).join('; ') : 0],
        [
          'load ended / drained (since the test began)',
          `${loadEndedAt - started} ms / ${Date.now() - started} ms`,
        ],
      ]);

      expect(cut.held.length).toBeGreaterThan(0);
      expect(cut.takenOverAt).toBeDefined();
      expect(staleEffects).toEqual([]);
      expect(doubleOffers).toEqual([]);
      expect(sharedOffers).toEqual([]);
      expect(doubleAccepted).toEqual([]);
      expect(multiAgent).toEqual([]);
      expect(overCapacity).toBe(0);
      expect(calls.filter((c) => !c.answered).map((c) => `${c.callId}: ${c.attempts.join(' ')}`)).toEqual([]);
      expect(lost).toEqual([]);
      expect(drained).toBe(true);
      expect(notCompleted).toEqual([]);
      expect(livePending).toEqual([]);
      expect(slotsLeft).toEqual([]);
      expect(callbacksDelivered).toBe(true);
      // fenced delivery: no two instances POST one callback, and nobody but the victim ever lost a claim
      expect(duplicateCallbacks).toBe(0);
      expect(survivorRefusals).toBe(0);
      // after the drain every timer has fired and been completed (holds aside)
      expect(jobsLeft).toEqual([]);
      expect(failures).toEqual([]);
    },
    scaledMs(180_000),
  );
});
