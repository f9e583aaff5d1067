import { expect } from '@jest/globals';
import {
  type AgentClient,
  type DatabasePool,
  type HttpResponse,
  type HangupAnswer,
  type TelephonyClient,
  type TestFloor,
  describeMs,
  printFigures,
  uniqueCallId,
  uniquePhone,
  waitFor,
} from '@tether/testing';
import { between, chance, inPool, scaled, scaledMs, sleep } from './support/faults';
import { FaultCluster } from './support/fault-cluster';
import { OfferLedger } from './support/offer-ledger';

/**
 * The telephony platform delivers at least once and in no particular order. Three instances of the sales
 * app take call webhooks of which a fifth arrive 2-5 times at once (each copy at another instance), and hang-ups that
 * race the call webhook, follow it at once, come later, or come twice. Every delivery is answered 2xx, each callId
 * makes exactly one contact, and no contact is offered once it has ended. A hang-up that overtakes its call is
 * answered 202 and remembered (in PostgreSQL, so by every instance): the call's webhook, at whichever instance, then
 * answers "ended" and the call is offered to nobody. A hang-up sent after its call was answered always finds it.
 *
 * FAULTS_SCALE=1: 500 calls, about 1,000 webhook deliveries in all.
 */
const CALLS = scaled(500);
const DUPLICATED_SHARE = 0.2;
const HANGUP_SHARE = 0.4;
const AGENTS = 12;
const CONCURRENT_CALLERS = 24;

/** `before-call`: the hang-up is answered before the call webhook is sent (the platform's retry of the call is late) */
const HANGUP_TIMINGS = ['before-call', 'with-call', 'after-2xx', 'later'] as const;

interface Delivery {
  kind: 'call' | 'hangup';
  callId: string;
  instance: number;
  sentAt: number;
  tookMs?: number;
  status: number | 'error';
  /** the answer's contactId (null in a 202: the call was not seen yet) and status */
  contactId?: string | null;
  answered?: string;
  /** when the answer arrived */
  doneAt?: number;
  error?: string;
}

describe('faults: duplicate and out-of-order webhooks over 3 sales instances', () => {
  let cluster: FaultCluster;
  let floor: TestFloor;
  let db: DatabasePool;
  let instances: TelephonyClient[];

  beforeAll(async () => {
    cluster = await FaultCluster.start();
    ({ floor, db } = cluster);
    instances = cluster.lines();
  }, 120_000);
  afterAll(() => cluster?.stop());

  it(
    'answers every delivery 2xx, makes one contact per callId, and never offers an ended contact',
    async () => {
      const started = Date.now();
      await floor.rules('sales', {
        sticky: { enabled: false, waitSeconds: 0 },
        offerTimeoutSeconds: 10,
        wrapUpSeconds: 0,
      });
      const ledger = new OfferLedger();
      const agentStats = {
        accepted: 0,
        acceptRefused: new Map<string, number>(),
        completed: 0,
        completeFailed: 0,
      };
      const agents: AgentClient[] = await Promise.all(
        Array.from({ length: AGENTS }, () => floor.agent({ lines: ['sales'] })),
      );
      // every agent answers what it is offered after a moment and completes a little later; a hang-up may get there first
      for (const agent of agents) {
        ledger.watch(agent);
        agent.on('offer', (offer) => {
          void (async () => {
            await sleep(between(0, 40));
            const ack = await agent
              .accept(offer.offerId)
              .catch((e: Error) => ({ ok: false as const, error: e.message }));
            if (!ack.ok) {
              agentStats.acceptRefused.set(ack.error, (agentStats.acceptRefused.get(ack.error) ?? 0) + 1);
              return;
            }
            agentStats.accepted++;
            await sleep(between(20, 120));
            const done = await agent
              .complete(offer.contact.id, 'resolved')
              .catch((e: Error) => ({ ok: false as const, error: e.message }));
            if (done.ok) agentStats.completed++;
            else agentStats.completeFailed++;
          })();
        });
      }

      const deliveries: Delivery[] = [];
      const send = async (
        kind: Delivery['kind'],
        callId: string,
        instance: number,
        request: () => Promise<HttpResponse<HangupAnswer>>,
      ): Promise<Delivery> => {
        const delivery: Delivery = { kind, callId, instance, sentAt: Date.now(), status: 'error' };
        deliveries.push(delivery);
        try {
          const response = await request();
          delivery.status = response.status;
          delivery.doneAt = Date.now();
          delivery.tookMs = delivery.doneAt - delivery.sentAt;
          delivery.contactId = response.body?.contactId;
          delivery.answered = response.body?.status;
        } catch (error) {
          delivery.error = (error as Error).message;
        }
        return delivery;
      };
      const postCall = (body: { callId: string; from: string; to: string }, instance: number) =>
        send('call', body.callId, instance, () => instances[instance].postCall(body));
      const hangup = (callId: string, instance: number) =>
        send('hangup', callId, instance, () => instances[instance].hangup(callId));

      // the plan: which calls arrive several times, which hang up when, which hang-ups arrive twice
      const plans = Array.from({ length: CALLS }, () => ({
        body: { callId: uniqueCallId('CA-dup'), from: uniquePhone(), to: '+15550000001' },
        copies: chance(DUPLICATED_SHARE) ? between(2, 5) : 1,
        hangup: chance(HANGUP_SHARE) ? HANGUP_TIMINGS[between(0, HANGUP_TIMINGS.length - 1)] : undefined,
        hangupCopies: chance(0.3) ? between(2, 3) : 1,
        firstTwoXxAt: Number.POSITIVE_INFINITY,
      }));
      // at any FAULTS_SCALE, at least one call whose hang-up is answered before the call is sent
      if (!plans.some((p) => p.hangup === 'before-call')) plans[0].hangup = 'before-call';
      const firstInstance = () => between(0, instances.length - 1);
      const later: Promise<unknown>[] = [];

      await inPool(plans, CONCURRENT_CALLERS, async (plan) => {
        const first = firstInstance();
        const hangups = () =>
          Promise.all(
            Array.from({ length: plan.hangupCopies }, (_, k) =>
              hangup(plan.body.callId, (first + 1 + k) % instances.length),
            ),
          );
        // every copy at once, each at the next instance
        const calls = () =>
          Promise.all(
            Array.from({ length: plan.copies }, (_, k) =>
              postCall(plan.body, (first + k) % instances.length).then((d) => {
                if (typeof d.status === 'number' && d.status < 300)
                  plan.firstTwoXxAt = Math.min(plan.firstTwoXxAt, Date.now());
                return d;
              }),
            ),
          );
        if (plan.hangup === 'before-call') {
          await hangups();
          await calls();
          return;
        }
        if (plan.hangup === 'with-call') {
          await Promise.all([calls(), hangups()]);
          return;
        }
        await calls();
        if (plan.hangup === 'after-2xx') await hangups();
        else if (plan.hangup === 'later') later.push(sleep(between(0, 500)).then(hangups));
      });
      await Promise.all(later);
      const sendingDone = Date.now();

      // A hang-up that overtook its call is answered 202 and remembered; one sent after its call was answered 2xx
      // must find the call (a 202 then would be a call lost to its own hang-up, or a hang-up lost to its call).
      const hangupDeliveries = deliveries.filter((d) => d.kind === 'hangup');
      const planOf = new Map(plans.map((p) => [p.body.callId, p]));
      const early202 = hangupDeliveries.filter((d) => d.status === 202);
      const late202 = early202.filter((d) => d.sentAt > planOf.get(d.callId)!.firstTwoXxAt);

      // quiescence: every contact ended (hung up, or accepted and completed by an agent)
      await waitFor(
        async () =>
          (
            await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM contacts WHERE status <> 'ended'`)
          )[0].n === 0,
        { what: 'every contact to end (hung up or completed)', timeoutMs: scaledMs(30_000), intervalMs: 200 },
      );
      await sleep(300); // a stray offer would have reached an agent by now

      const callDeliveries = deliveries.filter((d) => d.kind === 'call');
      const callNon2xx = callDeliveries.filter((d) => d.status === 'error' || d.status >= 300);
      const hangupBad = hangupDeliveries.filter((d) => d.status !== 200 && d.status !== 202);
      const created = new Map<string, number>();
      for (const d of callDeliveries)
        if (d.status === 201) created.set(d.callId, (created.get(d.callId) ?? 0) + 1);
      const not201Once = plans.filter((p) => created.get(p.body.callId) !== 1).map((p) => p.body.callId);
      const contactIdsPerCall = new Map<string, Set<string>>();
      for (const d of callDeliveries) {
        if (!d.contactId) continue;
        const set = contactIdsPerCall.get(d.callId) ?? new Set<string>();
        set.add(d.contactId);
        contactIdsPerCall.set(d.callId, set);
      }
      const splitAnswers = [...contactIdsPerCall]
        .filter(([, ids]) => ids.size !== 1)
        .map(([callId]) => callId);

      // Exactly one of the two orders per call. The call's one 201 says which: "ended" when a remembered hang-up was
      // there first (the contact was made ended), else "queued". A hang-up answered 202 whose call then came up
      // "queued" was lost; a call answered after a 202 reached the caller that still says anything but "ended" too.
      const first201 = new Map(
        callDeliveries.filter((d) => d.status === 201).map((d) => [d.callId, d] as const),
      );
      const hangupLost = [...new Set(early202.map((d) => d.callId))].filter(
        (callId) => first201.get(callId)?.answered !== 'ended',
      );
      const answeredLiveAfter202 = callDeliveries.filter((d) =>
        early202.some(
          (h) =>
            h.callId === d.callId && h.doneAt !== undefined && d.sentAt > h.doneAt && d.answered !== 'ended',
        ),
      );
      const endedAtArrival = [...first201.values()].filter((d) => d.answered === 'ended');
      const endedAtArrivalOffered = await db.query<{ id: string }>(
        `SELECT o.id FROM offers o WHERE o.contact_id = ANY($1::uuid[])`,
        [endedAtArrival.map((d) => d.contactId)],
      );
      const endedAtArrivalNotAbandoned = await db.query<{ id: string }>(
        `SELECT id FROM contacts WHERE id = ANY($1::uuid[]) AND (status <> 'ended' OR end_reason <> 'abandoned')`,
        [endedAtArrival.map((d) => d.contactId)],
      );
      const tombstonesLeft = await db.query<{ external_id: string }>(
        `SELECT external_id FROM call_tombstones WHERE external_id = ANY($1)`,
        [plans.map((p) => p.body.callId)],
      );

      // GET agrees with what the webhooks answered, and the database has exactly one contact per callId
      const getMismatches: string[] = [];
      await inPool(plans, 16, async (plan) => {
        const got = await instances[firstInstance()].getCall(plan.body.callId);
        const answered = [...(contactIdsPerCall.get(plan.body.callId) ?? [])][0];
        if (got.status !== 200 || got.body.contactId !== answered) getMismatches.push(plan.body.callId);
      });
      const duplicateRows = await db.query(
        `SELECT external_id, count(*)::int AS n FROM contacts GROUP BY 1 HAVING count(*) > 1`,
      );
      const [{ n: contactRows }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM contacts`);

      // No ended contact is offered. An offer's created_at is its transaction's start; a hang-up records ended_at when
      // it ends the contact under its lock (clock_timestamp), so an offer made, even accepted, while the hang-up waited
      // for that lock reads earlier. An offer the hang-up revoked is no violation either way; any other offer created
      // after the contact ended is one.
      const offeredAfterEnd = await db.query<{
        id: string;
        state: string;
        end_reason: string | null;
        contact_end: string;
      }>(
        `SELECT o.id, o.state, o.end_reason, c.end_reason AS contact_end
       FROM offers o JOIN contacts c ON c.id = o.contact_id
       WHERE c.ended_at IS NOT NULL AND o.created_at > c.ended_at`,
      );
      const violations = offeredAfterEnd.filter(
        (o) => !(o.state === 'revoked' && o.end_reason === 'caller_hung_up'),
      );
      const seenByAgentsAfterEnd = await db.query<{ id: string }>(
        `SELECT o.id FROM offers o JOIN contacts c ON c.id = o.contact_id
       WHERE o.id = ANY($1::uuid[]) AND c.ended_at IS NOT NULL AND o.created_at > c.ended_at
         AND NOT (o.state = 'revoked' AND o.end_reason = 'caller_hung_up')`,
        [ledger.all.map((o) => o.offerId)],
      );
      const abandonedButConnected = await db.query(
        `SELECT c.id FROM contacts c WHERE c.end_reason = 'abandoned'
         AND (c.agent_id IS NOT NULL OR EXISTS (SELECT 1 FROM offers o WHERE o.contact_id = c.id AND o.state = 'accepted'))`,
      );
      const livePendingOffers = await db.query(`SELECT id FROM offers WHERE state = 'pending'`);
      const busySlots = await db.query(`SELECT agent_id, used FROM agent_slots WHERE used <> 0`);
      const outcomes = await db.query<{ end_reason: string; n: number }>(
        `SELECT end_reason, count(*)::int AS n FROM contacts GROUP BY 1 ORDER BY 1`,
      );
      const hungUpRaces = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM offers WHERE state = 'revoked' AND end_reason = 'caller_hung_up'`,
      );
      const [{ n: offerRows }] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM offers`);
      const endReasonOf = new Map(
        (
          await db.query<{ external_id: string; end_reason: string }>(
            `SELECT external_id, end_reason FROM contacts`,
          )
        ).map((r) => [r.external_id, r.end_reason]),
      );
      const notCompleted = plans
        .filter((p) => !p.hangup && endReasonOf.get(p.body.callId) !== 'completed')
        .map((p) => p.body.callId);

      const hangupPlans = plans.filter((p) => p.hangup);
      printFigures('duplicates-and-disorder (3 sales instances)', [
        ['calls (distinct callIds)', CALLS],
        ['call webhook deliveries', callDeliveries.length],
        ['  of which extra copies', callDeliveries.length - CALLS],
        ['  calls delivered 2-5 times', plans.filter((p) => p.copies > 1).length],
        [
          '  answered 201 / 200',
          `${callDeliveries.filter((d) => d.status === 201).length} / ${callDeliveries.filter((d) => d.status === 200).length}`,
        ],
        ['  answered other (violations)', callNon2xx.length],
        [
          'hang-ups planned (before-call/with-call/after-2xx/later)',
          `${hangupPlans.length} (${HANGUP_TIMINGS.map((t) => hangupPlans.filter((p) => p.hangup === t).length).join('/')})`,
        ],
        ['hang-up deliveries (incl. copies)', hangupDeliveries.length],
        ['  202 before the call existed (remembered)', early202.length - late202.length],
        ['  202 after the call was answered (violations)', late202.length],
        ['calls that arrived after their hang-up (answered "ended")', endedAtArrival.length],
        [
          '  of them offered / not ended abandoned (violations)',
          `${endedAtArrivalOffered.length} / ${endedAtArrivalNotAbandoned.length}`,
        ],
        ['hang-ups answered 202 whose call was then queued (violations)', hangupLost.length],
        ['call answers after a 202 other than "ended" (violations)', answeredLiveAfter202.length],
        ['tombstones left behind (violations)', tombstonesLeft.length],
        ['webhook events in all', deliveries.length],
        [
          'webhook latency',
          describeMs(deliveries.flatMap((d) => (d.tookMs === undefined ? [] : [d.tookMs]))),
        ],
        ['contacts in the database', contactRows],
        ['duplicate external_ids (violations)', duplicateRows.length],
        ['callIds without exactly one 201', not201Once.length],
        ['callIds answered with 2 contactIds', splitAnswers.length],
        ['GET disagreeing with the webhook', getMismatches.length],
        ['offers made / seen by agents', `${offerRows} / ${ledger.all.length}`],
        ['offers revoked by a racing hang-up', hungUpRaces[0].n],
        ['offers created after end (raw / violations)', `${offeredAfterEnd.length} / ${violations.length}`],
        [
          'accepts by agents / refused',
          `${agentStats.accepted} / ${[...agentStats.acceptRefused].map(([e, n]) => `${n} "${e}"`).join(', ') || 0}`,
        ],
        ['abandoned contacts later connected', abandonedButConnected.length],
        ['contact outcomes', outcomes.map((o) => `${o.end_reason}=${o.n}`).join(' ')],
        ['sending took', `${sendingDone - started} ms`],
        ['whole test', `${Date.now() - started} ms`],
      ]);

      expect(callNon2xx.map((d) => `${d.callId}@${d.instance}: ${d.status} ${d.error ?? ''}`)).toEqual([]);
      expect(hangupBad.map((d) => `${d.callId}: ${d.status} ${d.error ?? ''}`)).toEqual([]);
      // every hang-up sent before its call was remembered, so those calls at least arrived ended
      const sentBefore = plans.filter((p) => p.hangup === 'before-call').map((p) => p.body.callId);
      expect(sentBefore.filter((callId) => first201.get(callId)?.answered !== 'ended')).toEqual([]);
      expect(late202.map((d) => d.callId)).toEqual([]);
      expect(hangupLost).toEqual([]);
      expect(answeredLiveAfter202.map((d) => `${d.callId}: ${d.answered}`)).toEqual([]);
      expect(endedAtArrivalOffered).toEqual([]);
      expect(endedAtArrivalNotAbandoned).toEqual([]);
      expect(tombstonesLeft).toEqual([]);
      expect(not201Once).toEqual([]);
      expect(splitAnswers).toEqual([]);
      expect(getMismatches).toEqual([]);
      expect(duplicateRows).toEqual([]);
      expect(contactRows).toBe(CALLS);
      expect(violations).toEqual([]);
      expect(seenByAgentsAfterEnd).toEqual([]);
      expect(abandonedButConnected).toEqual([]);
      expect(livePendingOffers).toEqual([]);
      expect(busySlots).toEqual([]);
      // the calls nobody hung up were all answered and completed
      expect(notCompleted).toEqual([]);
      expect(agentStats.completeFailed).toBe(0);
    },
    scaledMs(150_000),
  );
});
