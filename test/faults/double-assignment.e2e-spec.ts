import { expect } from '@jest/globals';
import {
  type AckResponse,
  type AgentClient,
  type DatabasePool,
  type OfferEvent,
  type TelephonyClient,
  type TestFloor,
  describeMs,
  printFigures,
  uniqueCallId,
  uniquePhone,
  waitFor,
} from '@tether/testing';
import { OFFER_WINDOW_LOST_MS, atSteadyRate, between, scaled, scaledMs, sleep } from './support/faults';
import { FaultCluster } from './support/fault-cluster';
import { OfferLedger } from './support/offer-ledger';

/**
 * Single assignment under contention. Agents on three gateways accept, reject or let offers expire
 * (offerTimeoutSeconds 1) at random, and some accepts are raced on purpose within the same millisecond: a second
 * agent's socket accepting someone else's offer, two tabs of one agent accepting together, an agent whose earlier
 * offer of the same contact ended accepting it again while the new owner accepts, and an accept sent right at the
 * offer's expiry. Each contact is taken by at most one agent, no agent ever holds more than its capacity (sampled
 * from agent_slots every 100 ms), and at the end every contact was completed and every slot is free.
 *
 * FAULTS_SCALE=1: 300 contacts, 20 agents.
 */
const CONTACTS = scaled(300);
const AGENTS = Math.max(4, scaled(20));
const CALLS_PER_SECOND = 50;

type Behaviour = 'accept' | 'reject' | 'expire' | 'steal' | 'two-tabs' | 'at-expiry';

interface Bot {
  agent: AgentClient;
  /** a second socket of the same agent on another gateway (a second tab), for some agents */
  tab?: AgentClient;
  capacity: number;
}

interface SlotSample {
  used_over: number;
  holding_over: number;
  drift: number;
  max_used: number;
}

const SAMPLE_SLOTS = `
  WITH load AS (
    SELECT s.agent_id, s.capacity, s.used,
      (SELECT count(*) FROM offers o WHERE o.agent_id = s.agent_id AND o.channel = s.channel AND o.state = 'pending')
      + (SELECT count(*) FROM contacts c WHERE c.agent_id = s.agent_id AND c.channel = s.channel AND c.work_open) AS holding
    FROM agent_slots s)
  SELECT count(*) FILTER (WHERE used > capacity)::int AS used_over,
         count(*) FILTER (WHERE holding > capacity)::int AS holding_over,
         count(*) FILTER (WHERE holding <> used)::int AS drift,
         COALESCE(max(used), 0)::int AS max_used
  FROM load`;

describe('faults: double assignment under racing accepts, rejects and expiries', () => {
  let cluster: FaultCluster;
  let floor: TestFloor;
  let db: DatabasePool;
  let gateways: string[];
  let lines: TelephonyClient[];

  beforeAll(async () => {
    cluster = await FaultCluster.start();
    ({ floor, db, gateways } = cluster);
    lines = cluster.lines();
  }, 120_000);
  afterAll(() => cluster?.stop());

  it(
    'each contact is accepted by at most one agent, no agent exceeds its capacity, every slot ends free',
    async () => {
      const started = Date.now();
      await floor.rules('sales', {
        sticky: { enabled: false, waitSeconds: 0 },
        offerTimeoutSeconds: 1,
        wrapUpSeconds: 0,
      });

      const bots: Bot[] = [];
      for (let i = 0; i < AGENTS; i++) {
        const capacity = i % 5 === 0 ? 2 : 1;
        const gateway = gateways[i % gateways.length];
        const agent = await floor.agent({
          lines: ['sales'],
          capacity: { voice: capacity },
          gatewayUrl: gateway,
        });
        const tab =
          i % 4 === 1 ? await floor.reconnect(agent, gateways[(i + 1) % gateways.length]) : undefined;
        bots.push({ agent, tab, capacity });
      }
      const agentIds = new Set(bots.map((b) => b.agent.agentId));

      // outcomes, as the agents saw them
      const behaviours = new Map<Behaviour, number>();
      const okAcceptsByContact = new Map<string, Set<string>>();
      const refusals = new Map<string, number>();
      let stealAttempts = 0;
      let stealWins = 0;
      let staleRaces = 0;
      let staleWins = 0;
      let twoTabBothOk = 0;
      const atExpiry = { acceptWon: 0, expiryWon: 0, offsetsMs: [] as number[] };
      let completed = 0;
      let completeFailed = 0;
      let reavailable = 0;
      const ledger = new OfferLedger();

      const noteAck = (who: string, ack: AckResponse, contactId: string): boolean => {
        if (ack.ok) {
          const set = okAcceptsByContact.get(contactId) ?? new Set<string>();
          set.add(who);
          okAcceptsByContact.set(contactId, set);
          return true;
        }
        refusals.set(ack.error, (refusals.get(ack.error) ?? 0) + 1);
        return false;
      };
      const safe = (p: Promise<AckResponse>): Promise<AckResponse> =>
        p.catch((e: Error) => ({ ok: false as const, error: e.message }));
      const otherBot = (bot: Bot) => {
        for (;;) {
          const other = bots[between(0, bots.length - 1)];
          if (other !== bot) return other;
        }
      };
      const finish = async (bot: Bot, contactId: string) => {
        await sleep(between(10, 150));
        const done = await safe(bot.agent.complete(contactId, 'resolved'));
        if (done.ok) completed++;
        else completeFailed++;
      };

      /** The owner accepts; if this contact was offered to someone else before, they accept their old offer in the same tick. */
      const acceptRacingStale = async (bot: Bot, offer: OfferEvent): Promise<boolean> => {
        const earlier = ledger
          .forContact(offer.contact.id)
          .find((o) => o.agentId !== bot.agent.agentId && o.offerId !== offer.offerId);
        const staleBot = earlier && bots.find((b) => b.agent.agentId === earlier.agentId);
        if (!earlier || !staleBot)
          return noteAck(bot.agent.agentId, await safe(bot.agent.accept(offer.offerId)), offer.contact.id);
        staleRaces++;
        const [mine, stale] = await Promise.all([
          safe(bot.agent.accept(offer.offerId)),
          safe(staleBot.agent.accept(earlier.offerId)),
        ]);
        if (noteAck(staleBot.agent.agentId, stale, offer.contact.id)) staleWins++;
        return noteAck(bot.agent.agentId, mine, offer.contact.id);
      };

      const handle = async (bot: Bot, offer: OfferEvent): Promise<void> => {
        const roll = Math.random();
        let behaviour: Behaviour =
          roll < 0.4
            ? 'accept'
            : roll < 0.55
              ? 'reject'
              : roll < 0.65
                ? 'expire'
                : roll < 0.77
                  ? 'steal'
                  : roll < 0.87
                    ? 'two-tabs'
                    : 'at-expiry';
        if (behaviour === 'two-tabs' && !bot.tab) behaviour = 'accept';
        behaviours.set(behaviour, (behaviours.get(behaviour) ?? 0) + 1);
        const contactId = offer.contact.id;
        switch (behaviour) {
          case 'accept': {
            await sleep(between(0, 200));
            if (await acceptRacingStale(bot, offer)) await finish(bot, contactId);
            return;
          }
          case 'reject': {
            await sleep(between(0, 200));
            await safe(bot.agent.reject(offer.offerId, 'busy'));
            return;
          }
          case 'expire':
            return; // the presence handler puts the agent back once the server sets them away
          case 'steal': {
            // another agent's socket sends offer:accept with this offerId in the same tick as the owner
            await sleep(between(0, 100));
            const thief = otherBot(bot);
            stealAttempts++;
            const [mine, stolen] = await Promise.all([
              safe(bot.agent.accept(offer.offerId)),
              safe(thief.agent.accept(offer.offerId)),
            ]);
            if (noteAck(thief.agent.agentId, stolen, contactId)) stealWins++;
            if (noteAck(bot.agent.agentId, mine, contactId)) await finish(bot, contactId);
            return;
          }
          case 'two-tabs': {
            await sleep(between(0, 100));
            const [first, second] = await Promise.all([
              safe(bot.agent.accept(offer.offerId)),
              safe(bot.tab!.accept(offer.offerId)),
            ]);
            const a = noteAck(bot.agent.agentId, first, contactId);
            const b = noteAck(bot.agent.agentId, second, contactId);
            if (a && b) twoTabBothOk++;
            if (a || b) await finish(bot, contactId);
            return;
          }
          case 'at-expiry': {
            // aim at the expiry instant (same host clock), give or take 15 ms
            const offset = between(-15, 15);
            await sleep(Math.max(0, Date.parse(offer.expiresAt) + offset - Date.now()));
            atExpiry.offsetsMs.push(offset);
            if (noteAck(bot.agent.agentId, await safe(bot.agent.accept(offer.offerId)), contactId)) {
              atExpiry.acceptWon++;
              await finish(bot, contactId);
            } else atExpiry.expiryWon++;
            return;
          }
        }
      };

      for (const bot of bots) {
        ledger.watch(bot.agent);
        bot.agent.on('offer', (offer) => void handle(bot, offer));
        bot.agent.on('agent:presence', (event) => {
          if (event.state !== 'away') return;
          void (async () => {
            await sleep(between(50, 200));
            if ((await safe(bot.agent.setStatus('available'))).ok) reavailable++;
          })();
        });
      }

      // sample the slots while everything runs
      const samples: SlotSample[] = [];
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          samples.push((await db.query<SlotSample>(SAMPLE_SLOTS))[0]);
          await sleep(100);
        }
      })();

      const callIds: string[] = [];
      await atSteadyRate(CALLS_PER_SECOND, (CONTACTS / CALLS_PER_SECOND) * 1000, async (i) => {
        const callId = uniqueCallId('CA-race');
        callIds.push(callId);
        const response = await lines[i % lines.length].postCall({
          callId,
          from: uniquePhone(),
          to: '+15550000001',
        });
        if (response.status !== 201) throw new Error(`call ${callId}: ${response.status} ${response.text}`);
      });
      const postedAt = Date.now();

      await waitFor(
        async () =>
          (
            await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM contacts WHERE status <> 'ended'`)
          )[0].n === 0,
        { what: 'every contact completed', timeoutMs: scaledMs(60_000), intervalMs: 250 },
      ).catch(async (error: Error) => {
        const left = await db.query(
          `SELECT status, count(*)::int AS n FROM contacts WHERE status <> 'ended' GROUP BY 1`,
        );
        throw new Error(`${error.message}; left: ${JSON.stringify(left)}`);
      });
      const drainedAt = Date.now();
      await sleep(300);
      sampling = false;
      await sampler;
      samples.push((await db.query<SlotSample>(SAMPLE_SLOTS))[0]);

      const doubleAccepted = await db.query(
        `SELECT contact_id, count(*)::int AS n FROM offers WHERE state = 'accepted' GROUP BY 1 HAVING count(*) > 1`,
      );
      const agentMismatch = await db.query(
        `SELECT c.id FROM contacts c JOIN offers o ON o.contact_id = c.id AND o.state = 'accepted' WHERE c.agent_id IS DISTINCT FROM o.agent_id`,
      );
      const outcomes = await db.query<{ status: string; end_reason: string; n: number }>(
        `SELECT status, end_reason, count(*)::int AS n FROM contacts GROUP BY 1, 2 ORDER BY 1, 2`,
      );
      const notCompleted = await db.query(
        `SELECT id, status, end_reason FROM contacts WHERE NOT (status = 'ended' AND end_reason = 'completed' AND connected_at IS NOT NULL)`,
      );
      const slotsLeft = await db.query(`SELECT agent_id, used FROM agent_slots WHERE used > 0`);
      const offerStates = await db.query<{ state: string; end_reason: string | null; n: number }>(
        `SELECT state, end_reason, count(*)::int AS n FROM offers GROUP BY 1, 2 ORDER BY 1, 2`,
      );
      const windowLost = (await db.query<{ lost_ms: number }>(OFFER_WINDOW_LOST_MS)).map((r) => r.lost_ms);
      const multiAgentAcks = [...okAcceptsByContact].filter(([, who]) => who.size > 1);
      const foreignAcks = [...okAcceptsByContact].flatMap(([contactId, who]) =>
        [...who].filter((id) => !agentIds.has(id)).map((id) => `${contactId}:${id}`),
      );
      const worst = samples.reduce(
        (acc, s) => ({
          used_over: Math.max(acc.used_over, s.used_over),
          holding_over: Math.max(acc.holding_over, s.holding_over),
          drift: Math.max(acc.drift, s.drift),
          max_used: Math.max(acc.max_used, s.max_used),
        }),
        { used_over: 0, holding_over: 0, drift: 0, max_used: 0 },
      );
      const samplesOver = samples.filter((s) => s.used_over > 0 || s.holding_over > 0).length;
      const samplesDrift = samples.filter((s) => s.drift > 0).length;

      printFigures('double-assignment (3 gateways, 3 sales instances)', [
        [
          'contacts / agents',
          `${CONTACTS} / ${AGENTS} (${bots.filter((b) => b.capacity === 2).length} with capacity 2, ${bots.filter((b) => b.tab).length} with a 2nd tab)`,
        ],
        ['offers received', ledger.all.length],
        ['behaviours', [...behaviours].map(([b, n]) => `${b}=${n}`).join(' ')],
        [
          'offer outcomes (db)',
          offerStates.map((o) => `${o.state}${o.end_reason ? `/${o.end_reason}` : ''}=${o.n}`).join(' '),
        ],
        ['steal races (other agent, same offerId) / thief won', `${stealAttempts} / ${stealWins}`],
        ['stale races (earlier owner, same contact) / stale won', `${staleRaces} / ${staleWins}`],
        ['two tabs accepting: both acked ok (idempotent)', twoTabBothOk],
        ['accept at expiry ±15 ms: accept won / expiry won', `${atExpiry.acceptWon} / ${atExpiry.expiryWon}`],
        ['offer window (1 s) lost waiting for the line lock', describeMs(windowLost)],
        ['refusals', [...refusals].map(([e, n]) => `${n} "${e}"`).join(', ')],
        ['completed by agents / complete failed', `${completed} / ${completeFailed}`],
        ['set available again after expiry', reavailable],
        ['contacts accepted twice (db, violations)', doubleAccepted.length],
        ['contacts acked ok to 2 agents (violations)', multiAgentAcks.length],
        ['slot samples / over capacity (violations)', `${samples.length} / ${samplesOver}`],
        ['max used seen / slot drift samples', `${worst.max_used} / ${samplesDrift}`],
        ['contact outcomes', outcomes.map((o) => `${o.status}/${o.end_reason}=${o.n}`).join(' ')],
        ['slots still used at the end', slotsLeft.length],
        ['calls posted in / drained after', `${postedAt - started} ms / ${drainedAt - postedAt} ms`],
        ['whole test', `${Date.now() - started} ms`],
      ]);

      expect(callIds).toHaveLength(CONTACTS);
      expect(doubleAccepted).toEqual([]);
      expect(agentMismatch).toEqual([]);
      expect(multiAgentAcks).toEqual([]);
      expect(foreignAcks).toEqual([]);
      expect(stealWins).toBe(0);
      expect(staleWins).toBe(0);
      expect(samplesOver).toBe(0);
      expect(samplesDrift).toBe(0);
      expect(notCompleted).toEqual([]);
      expect(slotsLeft).toEqual([]);
      expect(completeFailed).toBe(0);
    },
    scaledMs(150_000),
  );
});
