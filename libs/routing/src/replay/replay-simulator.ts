import { RoutingEngine } from '../routing-engine';
import { compareQueueOrder } from '../queue-order';
import { CompiledRuleSet } from '../rule-set.compiler';
import type { AgentCandidate, Channel, PresenceState, RoutingRules, WaitingContact } from '../routing.types';
import type { RoutingPlan } from '../rule-set.types';
import { EventHeap } from './event-heap';
import type { ReplayOutcome, ReplayRun, ReplayTraffic } from './replay.types';

/** A handling time for a contact answered in simulation that nobody answered in reality, when none is recorded. */
export const DEFAULT_HANDLING_SECONDS = 180;

export interface ReplayOptions {
  /** how many waiting contacts one pass reads, head of the queue first (the live snapshot's CONTACTS_PER_PASS) */
  contactsPerPass: number;
  /** give every signed-in agent to every pass (the reference the bounded read is tested against) */
  allAgents?: boolean;
}

type SimEvent =
  | { kind: 'presence'; agent: number; state: PresenceState }
  | { kind: 'arrival'; contact: number }
  | { kind: 'release'; agent: number; channel: Channel }
  | { kind: 'foreign'; agent: number; channel: Channel; delta: 1 | -1 }
  | { kind: 'abandon'; contact: number }
  | { kind: 'wake' };

/**
 * An agent through the run: `candidate` is what the engine is given, changed in place as the simulated clock moves
 * (`load` is the same object as the candidate's), so a pass costs no copy of the agents.
 */
interface SimAgent {
  candidate: AgentCandidate;
  load: Partial<Record<Channel, number>>;
  /** channel -> capacity, for the per-event readiness check */
  capacities: [Channel, number][];
}

interface Waiting {
  index: number;
  contact: WaitingContact;
  rule: string | null;
}

/**
 * Replays recorded traffic under a rule set: a deterministic discrete-event simulation on a simulated clock. Each
 * arrival is decided by the same `CompiledRuleSet.decide` intake runs (priority, skills, stages, redirect, queue
 * limit, never-match), and after every instant at which something happened (arrivals, agents' presence changes from
 * agent_presence_events, a completion, the end of a wrap-up, a hold or a stage ending, work for another line starting
 * or ending, a hang-up) the line's waiting contacts and its signed-in agents go through `RoutingEngine.decide`, the
 * very call the dispatcher makes. Simplifications, the same under every rule set so that differences between two runs
 * come from the rules: an offer is accepted the moment it is made; the agent then works for the contact's recorded
 * handling time (answer to completion; the median of the channel's recorded ones for a contact nobody answered), then
 * wraps up for the rules' wrap-up; a contact that hung up unanswered hangs up at the same time if still waiting, and
 * one that was answered waits as long as it takes; a signed-in agent is connected.
 */
export class ReplaySimulator {
  private readonly engine = new RoutingEngine();

  constructor(
    private readonly traffic: ReplayTraffic,
    private readonly options: ReplayOptions,
  ) {}

  run(rules: RoutingRules): ReplayRun {
    const { traffic } = this;
    const compiled = CompiledRuleSet.for(rules);
    const agentIndex = new Map(traffic.agents.map((agent, i) => [agent.id, i]));
    const agents: SimAgent[] = traffic.agents.map((agent) => {
      const load: Partial<Record<Channel, number>> = {};
      return {
        candidate: {
          ...agent,
          presence: 'offline',
          connected: false,
          load,
          idleSince: traffic.from,
          wrapUpUntil: null,
        },
        load,
        capacities: Object.entries(agent.capacity).map(([channel, n]) => [channel as Channel, n ?? 0]),
      };
    });
    const handling = medianHandling(traffic);
    const outcomes: (ReplayOutcome | null)[] = traffic.contacts.map(() => null);
    const heap = new EventHeap<SimEvent>();
    for (const change of traffic.presence) {
      const agent = agentIndex.get(change.agentId);
      if (agent !== undefined)
        heap.push(change.at.getTime(), { kind: 'presence', agent, state: change.state });
    }
    for (const work of traffic.foreignWork) {
      const agent = agentIndex.get(work.agentId);
      if (agent === undefined || work.to <= work.from) continue;
      heap.push(work.from.getTime(), { kind: 'foreign', agent, channel: work.channel, delta: 1 });
      heap.push(work.to.getTime(), { kind: 'foreign', agent, channel: work.channel, delta: -1 });
    }
    traffic.contacts.forEach((contact, i) =>
      heap.push(contact.arrivedAt.getTime(), { kind: 'arrival', contact: i }),
    );

    /** the queue in stored order (priority desc, arrival, id), as the snapshot reads its head */
    const queue: Waiting[] = [];
    const byId = new Map<string, Waiting>();
    const wakes = new Set<number>();
    let passes = 0;

    const wake = (atMs: number) => {
      if (wakes.has(atMs)) return;
      wakes.add(atMs);
      heap.push(atMs, { kind: 'wake' });
    };
    const leave = (waiting: Waiting) => {
      queue.splice(queue.indexOf(waiting), 1);
      byId.delete(waiting.contact.id);
    };

    while (heap.size > 0) {
      const nowMs = heap.peekTime();
      const now = new Date(nowMs);
      wakes.delete(nowMs);
      let changed = false;
      while (heap.size > 0 && heap.peekTime() === nowMs) {
        const event = heap.pop();
        switch (event.kind) {
          case 'presence': {
            const agent = agents[event.agent].candidate;
            if (agent.presence !== 'available' && event.state === 'available') agent.idleSince = now;
            agent.presence = event.state;
            agent.connected = event.state !== 'offline';
            changed = true;
            break;
          }
          case 'foreign': {
            const agent = agents[event.agent];
            agent.load[event.channel] = Math.max(0, (agent.load[event.channel] ?? 0) + event.delta);
            changed = true;
            break;
          }
          case 'release': {
            const agent = agents[event.agent];
            agent.load[event.channel] = Math.max(0, (agent.load[event.channel] ?? 0) - 1);
            agent.candidate.idleSince = now;
            const wrap = rules.channels?.[event.channel]?.wrapUpSeconds ?? rules.wrapUpSeconds;
            if (wrap > 0) {
              agent.candidate.wrapUpUntil = new Date(nowMs + wrap * 1000);
              wake(nowMs + wrap * 1000);
            }
            changed = true;
            break;
          }
          case 'abandon': {
            const waiting = byId.get(traffic.contacts[event.contact].id);
            if (waiting === undefined) break;
            leave(waiting);
            const contact = traffic.contacts[event.contact];
            outcomes[event.contact] = {
              kind: 'abandoned',
              rule: waiting.rule,
              stage: stageAt(waiting.contact.plan, nowMs - contact.arrivedAt.getTime()),
              agentId: null,
              reason: null,
              waitSeconds: (nowMs - contact.arrivedAt.getTime()) / 1000,
              otherLine: null,
            };
            break;
          }
          case 'arrival': {
            const contact = traffic.contacts[event.contact];
            const decision = compiled.decide(contact.facts);
            const base = { rule: decision.rule, stage: null, agentId: null, reason: null, waitSeconds: null };
            if (!contact.redirectedIn && decision.redirect !== null) {
              outcomes[event.contact] = { ...base, kind: 'redirected', otherLine: decision.redirect.line };
              break;
            }
            const limit = contact.redirectedIn ? null : decision.queueLimit;
            if (limit?.maxWaiting !== undefined && queue.length + 1 > limit.maxWaiting) {
              outcomes[event.contact] = { ...base, kind: 'overflow', otherLine: limit.overflow.line ?? null };
              break;
            }
            const waiting: Waiting = {
              index: event.contact,
              rule: decision.rule,
              contact: {
                id: contact.id,
                line: traffic.line,
                channel: contact.channel,
                priority: decision.priority,
                enqueuedAt: contact.arrivedAt,
                requiredSkills: decision.skills,
                relations: contact.relations,
                excludedAgentIds: compiled.neverMatchedWith(contact.facts.customer),
                plan: decision.plan,
              },
            };
            queue.splice(insertionPoint(queue, waiting.contact), 0, waiting);
            byId.set(contact.id, waiting);
            if (contact.abandonAt !== null)
              heap.push(Math.max(nowMs, contact.abandonAt.getTime()), {
                kind: 'abandon',
                contact: event.contact,
              });
            changed = true;
            break;
          }
          case 'wake':
            changed = true;
            break;
        }
      }
      if (!changed || queue.length === 0) continue;

      // as the live snapshot reads them: the longest-idle ready agents the engine says it needs, and every agent
      // related to a waiting contact; all of them when the engine asks (needsAllAgents)
      const head = queue.slice(0, this.options.contactsPerPass);
      const related = new Set<string>();
      const teams = new Set<string>();
      for (const { contact } of head) {
        const r = contact.relations;
        if (r.lastAgent) related.add(r.lastAgent.agentId);
        if (r.caseOwnerId) related.add(r.caseOwnerId);
        if (r.caseDeputyId) related.add(r.caseDeputyId);
        if (r.caseTeam) teams.add(r.caseTeam);
      }
      const ready: AgentCandidate[] = [];
      const others: AgentCandidate[] = [];
      for (const agent of agents) {
        const candidate = agent.candidate;
        if (candidate.presence === 'offline') continue;
        if (mayTakeAny(agent, nowMs)) ready.push(candidate);
        else if (related.has(candidate.id) || (candidate.team && teams.has(candidate.team)))
          others.push(candidate);
      }
      if (ready.length === 0) continue;
      const contacts = head.map((waiting) => waiting.contact);
      const cap = RoutingEngine.readyAgentsToRead(contacts.length);
      const decide = (complete: boolean) => {
        passes++;
        let input = ready;
        if (!complete) {
          // the cap-th longest idle time: agents as idle as it are read too (the engine breaks ties by id, not by
          // where a read stopped)
          const idle = new Float64Array(ready.length);
          for (let i = 0; i < ready.length; i++) idle[i] = ready[i].idleSince.getTime();
          const lastIdle = idle.sort()[cap - 1];
          input = ready.filter(
            (candidate) =>
              candidate.idleSince.getTime() <= lastIdle ||
              related.has(candidate.id) ||
              (candidate.team ? teams.has(candidate.team) : false),
          );
        }
        return this.engine.decide({
          line: traffic.line,
          now,
          rules,
          contacts,
          agents: [...input, ...others],
          agentsComplete: complete,
        });
      };
      let result = decide(this.options.allAgents === true || ready.length <= cap);
      if (result.needsAllAgents) result = decide(true);
      for (const assignment of result.assignments) {
        const waiting = byId.get(assignment.contactId)!;
        leave(waiting);
        const contact = traffic.contacts[waiting.index];
        const agentAt = agentIndex.get(assignment.agentId)!;
        const agent = agents[agentAt];
        agent.load[contact.channel] = (agent.load[contact.channel] ?? 0) + 1;
        const waitedMs = nowMs - contact.arrivedAt.getTime();
        outcomes[waiting.index] = {
          kind: 'answered',
          rule: waiting.rule,
          stage: stageAt(waiting.contact.plan, waitedMs),
          agentId: assignment.agentId,
          reason: assignment.reason,
          waitSeconds: waitedMs / 1000,
          otherLine: null,
        };
        const seconds = contact.handlingSeconds ?? handling.get(contact.channel) ?? DEFAULT_HANDLING_SECONDS;
        heap.push(nowMs + Math.round(seconds * 1000), {
          kind: 'release',
          agent: agentAt,
          channel: contact.channel,
        });
      }
      for (const hold of result.holds) if (hold.until.getTime() > nowMs) wake(hold.until.getTime());
      for (const end of result.stageEnds) if (end.until.getTime() > nowMs) wake(end.until.getTime());
    }

    // whoever is still waiting when nothing more happens (no agent ever free for them) was never answered
    for (const waiting of queue)
      outcomes[waiting.index] = {
        kind: 'unanswered',
        rule: waiting.rule,
        stage: null,
        agentId: null,
        reason: null,
        waitSeconds: null,
        otherLine: null,
      };
    return { outcomes: outcomes.map((outcome) => outcome!), passes };
  }
}

/** Whether an agent could be offered anything now: available, out of wrap-up, a free slot on some channel. */
function mayTakeAny({ candidate, load, capacities }: SimAgent, nowMs: number): boolean {
  if (candidate.presence !== 'available') return false;
  if (candidate.wrapUpUntil !== null && candidate.wrapUpUntil.getTime() > nowMs) return false;
  for (const [channel, capacity] of capacities) if (capacity > (load[channel] ?? 0)) return true;
  return false;
}

/** The 1-based stage of a plan a contact that has waited this long is in (as the engine reads it); null without. */
export function stageAt(plan: RoutingPlan | null | undefined, waitedMs: number): number | null {
  if (plan === null || plan === undefined || plan.stages.length === 0) return null;
  const index = plan.stages.findIndex(
    (stage) => stage.untilSeconds === null || waitedMs < stage.untilSeconds * 1000,
  );
  return (index === -1 ? plan.stages.length - 1 : index) + 1;
}

function insertionPoint(queue: readonly Waiting[], contact: WaitingContact): number {
  let low = 0;
  let high = queue.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareQueueOrder(queue[mid].contact, contact) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The median recorded handling time per channel. */
function medianHandling(traffic: ReplayTraffic): Map<Channel, number> {
  const byChannel = new Map<Channel, number[]>();
  for (const contact of traffic.contacts) {
    if (contact.handlingSeconds === null) continue;
    const list = byChannel.get(contact.channel) ?? [];
    list.push(contact.handlingSeconds);
    byChannel.set(contact.channel, list);
  }
  const medians = new Map<Channel, number>();
  for (const [channel, list] of byChannel) {
    list.sort((a, b) => a - b);
    medians.set(channel, list[Math.floor(list.length / 2)]);
  }
  return medians;
}
