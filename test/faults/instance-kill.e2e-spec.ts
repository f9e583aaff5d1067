import { expect } from '@jest/globals';
import {
  type AckResponse,
  AgentClient,
  type DatabasePool,
  type OfferEvent,
  type TetherAppProcess,
  type TelephonyClient,
  type TestFloor,
  describeMs,
  printFigures,
  uniqueCallId,
  uniquePhone,
  waitFor,
} from '@tether/testing';
import { OFFER_WINDOW_LOST_MS, atSteadyRate, between, faultsScale, scaledMs, sleep } from './support/faults';
import { FaultCluster } from './support/fault-cluster';
import { OfferLedger } from './support/offer-ledger';

/**
 * `kill -9` of a sales process and a gateway process under a steady call rate. Three processes of each
 * app run; calls arrive round-robin (a call whose instance fails is retried on the next one, as a
 * platform behind a load balancer would). The sales victim is killed at the moment it holds an offer-expiry
 * timer's lease (frozen with SIGSTOP while the lease is visible, then SIGKILLed), the gateway at the same time.
 * Every call answered 2xx is in the database and is connected and completed; no contact is taken twice; the
 * killed gateway's agents reconnect to the other ones and get their pending offers again; routing resumes within
 * 5 s. The timers the dead process had claimed fire when their 5 s lease runs out: measured and reported.
 *
 * FAULTS_SCALE=1: 50 calls/s for 10 s, kill at 4 s. FAULTS_KILL_RATE sets the rate (e.g. 200/s:
 * `FAULTS_KILL_RATE=200 node scripts/run-tests.mjs e2e test/faults/instance-kill`).
 */
const RATE = Number(process.env.FAULTS_KILL_RATE ?? 50);
const LOAD_MS = Math.round(10_000 * faultsScale());
const KILL_AT_MS = Math.round(LOAD_MS * 0.4);
/** each worker handles a contact in ~0.2–0.4 s: enough of them to keep up with the rate */
const WORKERS = Math.max(24, Math.ceil(RATE * 0.4));
const SLEEPY = 6;
const ROUTING_RESUME_LIMIT_MS = 5_000;
const VICTIM_SALES = 'faults-sales-3';
const VICTIM_GATEWAY = 'faults-gateway-3';

interface CallRecord {
  callId: string;
  attempts: { instance: number; status: number | string }[];
  answered2xx: boolean;
}

interface Worker {
  agentId: string;
  token: string;
  client: AgentClient;
  onVictimGateway: boolean;
  seenOffers: Set<string>;
  /** contacts whose accept or complete got no answer (the gateway died under it): outcome unknown to the agent */
  unknown: Set<string>;
  droppedAt?: number;
  reconnectedAt?: number;
}

describe('faults: kill -9 of a sales process and a gateway under load', () => {
  let cluster: FaultCluster;
  let floor: TestFloor;
  let db: DatabasePool;
  let sales: TelephonyClient[];
  let victimSales: TetherAppProcess;
  let victimGateway: TetherAppProcess;
  /** the gateways that stay up: the killed gateway's agents come back through one of these */
  let survivingGateways: string[];

  beforeAll(async () => {
    cluster = await FaultCluster.start({
      // the production poll interval: a process notices due timers it did not schedule itself within 250 ms
      env: { TETHER_TIMER_POLL_MS: '250' },
      // the victim polls for due timers every 10 ms, so it is often the one holding an expiry's lease when it dies
      envOf: (app, index) => (app === 'sales' && index === 2 ? { TETHER_TIMER_POLL_MS: '10' } : undefined),
    });
    ({ floor, db } = cluster);
    victimSales = cluster.processes.find((p) => p.instanceId === VICTIM_SALES)!;
    victimGateway = cluster.processes.find((p) => p.instanceId === VICTIM_GATEWAY)!;
    survivingGateways = cluster.gateways.filter((url) => url !== victimGateway.url);
    sales = cluster.lines();
  }, 120_000);
  afterAll(() => cluster?.stop());

  it(
    'loses no answered call, takes no contact twice, and resumes routing within 5 s',
    async () => {
      const started = Date.now();
      await floor.rules('sales', {
        sticky: { enabled: false, waitSeconds: 0 },
        offerTimeoutSeconds: 2,
        wrapUpSeconds: 0,
      });
      const ledger = new OfferLedger();
      const okAccepts = new Map<string, Set<string>>();
      const acceptTimes: number[] = [];
      let stopping = false;
      let resentOnReconnect = 0;
      let lostAcks = 0;
      let acceptedButAckLost = 0;
      let acceptNeverArrived = 0;
      let completed = 0;
      const failures: string[] = [];
      const safe = (p: Promise<AckResponse>): Promise<AckResponse | 'lost'> => p.catch(() => 'lost' as const);

      // ---- agents: workers on both gateways answer everything; sleepy agents on gateway 1 let every offer expire
      const workers: Worker[] = [];
      const onWorkerOffer = async (worker: Worker, client: AgentClient, offer: OfferEvent) => {
        if (worker.seenOffers.has(offer.offerId)) resentOnReconnect++;
        worker.seenOffers.add(offer.offerId);
        // agents on the doomed gateway take their time, so some offers are pending when it dies
        await sleep(worker.onVictimGateway ? between(100, 600) : between(10, 40));
        const ack = await safe(client.accept(offer.offerId));
        if (ack === 'lost') {
          lostAcks++;
          await settleLostAccept(worker, client, offer.contact.id);
          return;
        }
        if (!ack.ok) return; // revoked or expired meanwhile: routed on by the server
        const who = okAccepts.get(offer.contact.id) ?? new Set<string>();
        who.add(worker.agentId);
        okAccepts.set(offer.contact.id, who);
        acceptTimes.push(Date.now());
        await sleep(between(150, 350));
        await completeSurely(worker, offer.contact.id);
      };
      /**
       * An accept whose answer died with the gateway: if it went through, the contact is this agent's to finish (the
       * server re-sends it on connect as `contact:connected`; this client does not wait for that), so the agent tries to
       * complete it from its next connection; "not assigned to you" means it did not, and the offer comes back or
       * moves on by itself.
       */
      const settleLostAccept = async (worker: Worker, lostOn: AgentClient, contactId: string) => {
        worker.unknown.add(contactId);
        for (
          let waited = 0;
          (worker.client === lostOn || !worker.client.connected) && waited < 10_000;
          waited += 100
        )
          await sleep(100);
        const done = await safe(worker.client.complete(contactId, 'resolved'));
        if (done === 'lost') return;
        worker.unknown.delete(contactId);
        if (done.ok) {
          completed++;
          acceptedButAckLost++;
        } else acceptNeverArrived++;
      };
      /** complete on whatever connection the agent has by now; an answer lost with a dead gateway is asked again */
      const completeSurely = async (worker: Worker, contactId: string) => {
        for (let attempt = 0; attempt < 50; attempt++) {
          const client = worker.client;
          if (!client.connected) {
            await sleep(100);
            continue;
          }
          const done = await safe(client.complete(contactId, 'resolved'));
          if (done === 'lost') {
            lostAcks++;
            continue;
          }
          // "already completed" to the contact's owner: an earlier attempt went through, its answer lost with the
          // gateway (the socket can die after the event left, before or without the lost-ack being noticed)
          if (done.ok || /already completed/.test(done.error)) completed++;
          else failures.push(`complete ${contactId}: ${done.error}`);
          return;
        }
        failures.push(`complete ${contactId}: no connection to send it on`);
      };
      const attachWorker = (worker: Worker) => {
        const client = worker.client;
        ledger.watch(client);
        client.on('offer', (offer) => void onWorkerOffer(worker, client, offer));
        void client.closed.then(async (reason) => {
          if (stopping || reason === 'io client disconnect') return;
          // the gateway went away: come back through the other one with the same token
          worker.droppedAt = Date.now();
          const back = survivingGateways[workers.indexOf(worker) % survivingGateways.length];
          worker.client = new AgentClient(back, worker.token, worker.agentId);
          attachWorker(worker);
          try {
            await worker.client.connect();
            worker.reconnectedAt = Date.now();
          } catch (error) {
            failures.push(`reconnect ${worker.agentId}: ${(error as Error).message}`);
          }
        });
      };
      for (let i = 0; i < WORKERS; i++) {
        // a third of the workers on each gateway, the victim included
        const onVictimGateway = i % 3 === 2;
        const client = await floor.agent({
          lines: ['sales'],
          gatewayUrl: onVictimGateway ? victimGateway.url : survivingGateways[i % 3],
        });
        const worker: Worker = {
          agentId: client.agentId,
          token: client.token,
          client,
          onVictimGateway,
          seenOffers: new Set(),
          unknown: new Set(),
        };
        workers.push(worker);
        attachWorker(worker);
      }
      const sleepy: AgentClient[] = [];
      for (let i = 0; i < SLEEPY; i++) {
        const client = await floor.agent({ lines: ['sales'], gatewayUrl: survivingGateways[0] });
        sleepy.push(client);
        ledger.watch(client);
        client.on('agent:presence', (event) => {
          if (event.state !== 'away' || stopping) return;
          void sleep(100).then(() =>
            stopping ? undefined : client.setStatus('available').catch(() => undefined),
          );
        });
      }

      // ---- the kill: freeze the sales victim the moment it holds a timer's lease (any kind; offer expiry is no longer a
      // job but swept from offers.expires_at by every instance), check, then SIGKILL both victims
      const killing = (async () => {
        await sleep(KILL_AT_MS);
        const deadline = Date.now() + 5_000;
        const leased = `SELECT id::text, kind, payload->>'offerId' AS offer_id FROM scheduled_jobs
                      WHERE locked_by = $1 AND locked_until > now()`;
        let caught: { id: string; kind: string; offer_id: string }[] = [];
        let tries = 0;
        while (Date.now() < deadline) {
          if ((await db.query(leased, [VICTIM_SALES])).length > 0) {
            tries++;
            victimSales.child.pause();
            caught = await db.query(leased, [VICTIM_SALES]);
            if (caught.length > 0) break;
            victimSales.child.resume();
          }
          await sleep(2);
        }
        const killedAt = Date.now();
        await Promise.all([victimSales.child.kill(), victimGateway.child.kill()]);
        const allLeases = await db.query<{ id: string; kind: string }>(
          `SELECT id::text, kind FROM scheduled_jobs WHERE locked_by = ANY($1) AND locked_until > now()`,
          [[VICTIM_SALES, VICTIM_GATEWAY]],
        );
        return { killedAt, caught, tries, allLeases };
      })();

      // ---- steady load, round-robin over the three sales processes, failing over to the next on an error or a 5xx
      const calls: CallRecord[] = [];
      const loadStartedAt = Date.now();
      await atSteadyRate(RATE, LOAD_MS, async (i) => {
        const record: CallRecord = { callId: uniqueCallId('CA-kill'), attempts: [], answered2xx: false };
        calls.push(record);
        const body = { callId: record.callId, from: uniquePhone(), to: '+15550000001' };
        for (let attempt = 0; attempt < 3 && !record.answered2xx; attempt++) {
          const instance = (i + attempt) % sales.length;
          try {
            const response = await sales[instance].postCall(body);
            record.attempts.push({ instance, status: response.status });
            record.answered2xx = response.status === 200 || response.status === 201;
          } catch (error) {
            record.attempts.push({ instance, status: (error as Error).message });
          }
        }
      });
      const loadEndedAt = Date.now();
      const kill = await killing;

      // ---- after the load: sleepy agents leave, the rest must drain (including what waited on the dead lease)
      stopping = true;
      await Promise.all(sleepy.map((client) => client.setStatus('away').catch(() => undefined)));
      const caughtIds = kill.caught.map((j) => j.id);
      const leaseFiredAt = caughtIds.length
        ? await waitFor(
            async () =>
              (
                await db.query<{ n: number }>(
                  `SELECT count(*)::int AS n FROM scheduled_jobs WHERE id = ANY($1::bigint[])`,
                  [caughtIds],
                )
              )[0].n === 0 && Date.now(),
            { what: 'the dead process’s leased expiry timers to fire', timeoutMs: 45_000, intervalMs: 100 },
          )
        : undefined;
      const drained = await waitFor(
        async () =>
          (
            await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM contacts WHERE status <> 'ended'`)
          )[0].n === 0,
        { what: 'every contact completed', timeoutMs: scaledMs(20_000), intervalMs: 250 },
      ).then(
        () => true,
        () => false,
      );
      const left = await db.query<{ status: string; n: number }>(
        `SELECT status, count(*)::int AS n FROM contacts WHERE status <> 'ended' GROUP BY 1`,
      );
      for (const worker of workers) worker.client.close();
      for (const client of sleepy) client.close();

      // ---- what the database says
      const answered = calls.filter((c) => c.answered2xx).map((c) => c.callId);
      const unanswered = calls.filter((c) => !c.answered2xx);
      const stored = await db.query<{
        external_id: string;
        status: string;
        end_reason: string;
        offers: number;
      }>(
        `SELECT c.external_id, c.status, c.end_reason, (SELECT count(*)::int FROM offers o WHERE o.contact_id = c.id) AS offers
       FROM contacts c WHERE c.external_id = ANY($1)`,
        [answered],
      );
      const storedById = new Map(stored.map((r) => [r.external_id, r]));
      const lost = answered.filter((callId) => !storedById.has(callId));
      const notCompleted = stored.filter((r) => r.end_reason !== 'completed' || r.offers === 0);
      const doubleAccepted = await db.query(
        `SELECT contact_id FROM offers WHERE state = 'accepted' GROUP BY 1 HAVING count(*) > 1`,
      );
      // two offers of one contact alive at once; offers' timestamps are their transactions' starts, hence the tolerance
      // the partial unique index allows one live offer per contact; from the agents' side, no offer reached two agents
      const offerHolders = new Map<string, Set<string>>();
      for (const seen of ledger.all)
        offerHolders.set(seen.offerId, (offerHolders.get(seen.offerId) ?? new Set()).add(seen.agentId));
      const sharedOffers = [...offerHolders].filter(([, who]) => who.size > 1).map(([offerId]) => offerId);
      const windowLost = (await db.query<{ lost_ms: number }>(OFFER_WINDOW_LOST_MS)).map((r) => r.lost_ms);
      const multiAgent = [...okAccepts].filter(([, who]) => who.size > 1);
      // offers that fell due after the kill, whoever made them: expired by the survivors' sweeps (every second)
      const expiredAfterKill = (
        await db.query<{ late_ms: number }>(
          `SELECT (EXTRACT(EPOCH FROM resolved_at - expires_at) * 1000)::float AS late_ms FROM offers
           WHERE state = 'expired' AND expires_at > to_timestamp($1 / 1000.0)`,
          [kill.killedAt],
        )
      ).map((r) => r.late_ms);
      const caughtOffers = kill.caught.some((j) => j.offer_id)
        ? await db.query<{ late_ms: number; state: string }>(
            `SELECT (EXTRACT(EPOCH FROM resolved_at - expires_at) * 1000)::float AS late_ms, state FROM offers WHERE id = ANY($1::uuid[])`,
            [kill.caught.filter((j) => j.offer_id).map((j) => j.offer_id)],
          )
        : [];
      const slotsLeft = await db.query(`SELECT agent_id, used FROM agent_slots WHERE used > 0`);

      // ---- what the clients saw around the kill
      const firstOfferAfterKill = ledger.firstAfter(kill.killedAt);
      const firstAcceptAfterKill = acceptTimes.find((t) => t >= kill.killedAt);
      const moved = workers.filter((w) => w.onVictimGateway);
      const reconnectMs = moved
        .filter((w) => w.reconnectedAt !== undefined)
        .map((w) => w.reconnectedAt! - kill.killedAt);
      const retriedCalls = calls.filter((c) => c.attempts.length > 1);
      const retriedGot200 = retriedCalls.filter((c) => c.attempts.some((a) => a.status === 200));
      const stillUnknown = workers.reduce((n, w) => n + w.unknown.size, 0);

      printFigures('instance-kill (3 of each app; kill -9 of a sales process and a gateway)', [
        [
          'load',
          `${RATE}/s for ${LOAD_MS} ms: ${calls.length} calls, kill ${kill.killedAt - loadStartedAt} ms into it`,
        ],
        ['calls answered 2xx / never answered', `${answered.length} / ${unanswered.length}`],
        [
          'calls retried on another instance (of which 200: committed before the kill)',
          `${retriedCalls.length} (${retriedGot200.length})`,
        ],
        ['2xx calls missing from the database (violations)', lost.length],
        ['2xx calls not offered+completed (violations)', notCompleted.length],
        [
          'contacts accepted twice / acked ok to 2 agents / offers sent to 2 agents',
          `${doubleAccepted.length} / ${multiAgent.length} / ${sharedOffers.length}`,
        ],
        ['offer window lost waiting for the line lock (re-offers)', describeMs(windowLost)],
        [
          'kill -> first offer received',
          firstOfferAfterKill ? `${firstOfferAfterKill.receivedAt - kill.killedAt} ms` : 'none',
        ],
        [
          'kill -> first accept',
          firstAcceptAfterKill ? `${firstAcceptAfterKill - kill.killedAt} ms` : 'none',
        ],
        [
          'agents on the killed gateway reconnected',
          `${reconnectMs.length} / ${moved.length}: ${describeMs(reconnectMs)} after the kill`,
        ],
        ['pending offers re-sent on reconnect', resentOnReconnect],
        [
          'accept/complete acks lost with the gateway',
          `${lostAcks} (${stillUnknown} still unknown after reconnecting)`,
        ],
        [
          '  lost accepts that had gone through / had not',
          `${acceptedButAckLost} (completed after reconnecting) / ${acceptNeverArrived}`,
        ],
        [
          'victim leases caught (freeze attempts)',
          `${kill.caught.map((j) => j.kind).join(', ') || 0} (${kill.tries}); all leases of the victims: ${kill.allLeases.length}`,
        ],
        ['dead leases fired after (kill ->)', leaseFiredAt ? `${leaseFiredAt - kill.killedAt} ms` : '-'],
        ['their offers expired late by', describeMs(caughtOffers.map((o) => o.late_ms))],
        ['offers due after the kill, expired late by (survivors sweep)', describeMs(expiredAfterKill)],
        ['contacts not ended at the end', left.map((l) => `${l.status}=${l.n}`).join(' ') || 0],
        ['agents with used > 0 at the end', slotsLeft.length],
        ['client failures', failures.length ? failures.slice(0, 5).join('; ') : 0],
        ['contacts completed by agents', completed],
        [
          'load ended / drained (since the test began)',
          `${loadEndedAt - started} ms / ${Date.now() - started} ms`,
        ],
      ]);

      expect(drained ? [] : left).toEqual([]);
      expect(unanswered.map((c) => `${c.callId}: ${JSON.stringify(c.attempts)}`)).toEqual([]);
      expect(lost).toEqual([]);
      expect(notCompleted).toEqual([]);
      expect(doubleAccepted).toEqual([]);
      expect(multiAgent).toEqual([]);
      expect(sharedOffers).toEqual([]);
      expect(firstOfferAfterKill).toBeDefined();
      expect(firstOfferAfterKill!.receivedAt - kill.killedAt).toBeLessThan(ROUTING_RESUME_LIMIT_MS);
      expect(reconnectMs).toHaveLength(moved.length);
      expect(stillUnknown).toBe(0);
      expect(caughtOffers.filter((o) => o.state === 'pending')).toEqual([]);
      // every instance sweeps due offers at least every second
      expect(expiredAfterKill.filter((ms) => ms > 2_500)).toEqual([]);
      expect(slotsLeft).toEqual([]);
      expect(failures).toEqual([]);
    },
    scaledMs(150_000),
  );
});
