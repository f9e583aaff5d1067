import { AgentPool } from './agent-pool';
import { CHANNEL_INDEX, compareIds, toPassAgent, type PassAgent } from './pass-agent';
import { caseFallbackFor, preferredAgentFor, type PreferredAgent } from './preferred-agent.policy';
import { compareQueueOrder, effectivePriority } from './queue-order';
import type {
  Channel,
  Line,
  OfferReason,
  RoutingPassInput,
  RoutingPassResult,
  StickyCause,
  WaitingContact,
} from './routing.types';
import { RequirementCompiler } from './requirement-compiler';
import type { PlanStage, RoutingPlan } from './rule-set.types';

interface OrderedContact {
  contact: WaitingContact;
  enqueuedMs: number;
}

/** What the sticky phase did with a contact: settled it (assigned or held), or left it to skills routing. */
type StickyOutcome = { settled: true } | { settled: false; note: string | null };

const SETTLED: StickyOutcome = { settled: true };

/**
 * One routing pass: the mutable bookkeeping behind `RoutingEngine.decide` (capacity consumed so far,
 * pools, results). Lives for a single call so the engine itself stays stateless.
 */
export class RoutingPass {
  private readonly nowMs: number;
  private readonly agents: readonly PassAgent[];
  private readonly agentsById = new Map<string, PassAgent>();
  /** line -> channel index -> pool, built on first use: most passes touch one line and a channel or two */
  private readonly pools = new Map<Line, (AgentPool | undefined)[]>();
  private readonly requirements = new RequirementCompiler();
  /** (ready agent, channel) pairs with a slot left; at 0 the rest of the queue can only wait */
  private openSlots = 0;
  private readonly result: RoutingPassResult = {
    needsAllAgents: false,
    assignments: [],
    holds: [],
    waiting: [],
    returned: [],
    stageEnds: [],
  };
  /** contacts waiting in a stage of their plan that ends: when, so that `wait` can ask for a pass then */
  private readonly stageEndOf = new Map<string, Date>();

  /**
   * A capped input (`agentsComplete: false`) holds the longest-idle ready agents with a free slot (a prefix of that
   * order) and, beyond it, every agent related to a waiting contact. A skills pick of such a related agent who is
   * less idle than the prefix's last could be beaten by an agent the cap left out: the pass then asks for every
   * agent. `cappedCutoffMs` is the prefix's last idle time (null for a complete input), `relatedIds` those agents.
   */
  private readonly cappedCutoffMs: number | null = null;
  private readonly relatedIds = new Set<string>();

  constructor(private readonly input: RoutingPassInput) {
    this.nowMs = input.now.getTime();
    this.agents = input.agents.map((agent) => toPassAgent(agent, this.nowMs));
    for (const passAgent of this.agents) {
      this.agentsById.set(passAgent.agent.id, passAgent);
      if (!passAgent.ready) continue;
      for (const slots of passAgent.remaining) if (slots > 0) this.openSlots++;
    }
    if (input.agentsComplete === false) {
      const teams = new Set<string>();
      for (const contact of input.contacts) {
        const r = contact.relations;
        for (const id of [r.lastAgent?.agentId, r.caseOwnerId, r.caseDeputyId, r.transfer?.agentId])
          if (id) this.relatedIds.add(id);
        if (r.caseTeam) teams.add(r.caseTeam);
      }
      let cutoff = Number.NEGATIVE_INFINITY;
      for (const passAgent of this.agents) {
        if (passAgent.agent.team && teams.has(passAgent.agent.team)) this.relatedIds.add(passAgent.agent.id);
      }
      for (const passAgent of this.agents)
        if (
          passAgent.ready &&
          !this.relatedIds.has(passAgent.agent.id) &&
          passAgent.remaining.some((slots) => slots > 0)
        )
          cutoff = Math.max(cutoff, passAgent.idleSinceMs);
      this.cappedCutoffMs = cutoff;
    }
  }

  run(): RoutingPassResult {
    const ordered = orderContacts(this.input.contacts, this.nowMs);
    const { rules } = this.input;

    // Phase 1 runs over the whole queue before anyone is routed by skills, so that a free preferred
    // agent is not handed to an earlier, unrelated contact that merely found them idle longest.
    const rest: WaitingContact[] = [];
    const notes: (string | null)[] = [];
    /** per entry of `rest`: the skills its stage asks for instead of the contact's own (null: its own) */
    const stageSkills: (Readonly<Record<string, number>> | null)[] = [];
    for (const { contact, enqueuedMs } of ordered) {
      const transfer = contact.relations.transfer;
      if (transfer?.kind === 'agent' && transfer.agentId !== null) {
        this.transferToAgent(contact, transfer.agentId);
        continue;
      }
      // a line rule's stages decide who may take the contact, sticky included (a stage may name the preferred agent)
      const plan = contact.plan;
      if (plan !== undefined && plan !== null && plan.stages.length > 0 && transfer == null) {
        const routed = this.routeByStage(contact, plan, enqueuedMs);
        if (routed === null) continue;
        rest.push(contact);
        notes.push(routed.note);
        stageSkills.push(routed.skills);
        continue;
      }
      const preferred = preferredAgentFor(contact, rules);
      let note: string | null = null;
      if (preferred !== null) {
        const outcome = this.trySticky(contact, preferred, enqueuedMs, rules.sticky.waitSeconds);
        if (outcome.settled) continue;
        note = outcome.note;
      }
      // the owner cannot take the customer (or the case has none): their deputy, then the case's team, at once
      const fallback = caseFallbackFor(contact, rules);
      if (fallback !== null) {
        const outcome = this.tryCaseFallback(contact, fallback, note);
        if (outcome.settled) continue;
        note = outcome.note;
      }
      rest.push(contact);
      notes.push(note);
      stageSkills.push(null);
    }

    // Phase 2: everyone not assigned or held, in queue order, to the longest-idle qualified agent.
    for (let i = 0; i < rest.length; i++) {
      if (this.openSlots === 0) {
        // Nothing can be assigned any more: skip pools and skill checks for the rest of the queue.
        for (let j = i; j < rest.length; j++) {
          this.wait(rest[j], 'no agent with free capacity left on any channel', notes[j]);
        }
        break;
      }
      this.routeBySkills(rest[i], notes[i], stageSkills[i] ?? rest[i].requiredSkills);
    }
    return this.result;
  }

  /**
   * A contact with a plan, in the stage the time it has waited puts it in. A stage of named or preferred agents is
   * decided here (assigned, or waiting with why: null); a stage of skills, or of anyone on the line, goes on to the
   * skills phase with its skills (and the stage's name as its note). A stage that ends asks for a pass at its end.
   */
  private routeByStage(
    contact: WaitingContact,
    plan: RoutingPlan,
    enqueuedMs: number,
  ): { skills: Readonly<Record<string, number>>; note: string } | null {
    const waitedMs = this.nowMs - enqueuedMs;
    let index = plan.stages.findIndex(
      (stage) => stage.untilSeconds === null || waitedMs < stage.untilSeconds * 1000,
    );
    if (index === -1) index = plan.stages.length - 1; // the last stage had an end after all: it goes on
    const stage = plan.stages[index];
    let label = `rule ${plan.rule}, stage ${index + 1} of ${plan.stages.length}`;
    if (stage.untilSeconds !== null && waitedMs < stage.untilSeconds * 1000) {
      const until = new Date(enqueuedMs + stage.untilSeconds * 1000);
      this.stageEndOf.set(contact.id, until);
      label += ` (until ${until.toISOString()})`;
    }
    if (stage.preferred) {
      this.routeToPreferred(contact, label);
      return null;
    }
    if (stage.agents !== undefined) {
      this.routeToNamed(contact, stage, label);
      return null;
    }
    return { skills: stage.skills ?? {}, note: label };
  }

  /** A stage of the customer's own agent: their case owner, else their last agent on the line (sticky's horizon). */
  private routeToPreferred(contact: WaitingContact, label: string): void {
    const rules = this.input.rules;
    const preferred = preferredAgentFor(contact, { ...rules, sticky: { ...rules.sticky, enabled: true } });
    if (preferred === null) {
      this.wait(contact, `${label}: the customer has no case owner or recent last agent`, null);
      return;
    }
    const who = `${preferredLabel(preferred.cause)} ${preferred.agentId}`;
    const agent = this.agentsById.get(preferred.agentId);
    const why = this.cannotTake(contact, agent, preferred.agentId);
    if (why !== null || agent === undefined) {
      this.wait(contact, `${label}: ${who} ${why ?? 'cannot take it'}`, null);
      return;
    }
    const reason: OfferReason = preferred.cause === 'case_owner' ? 'case_owner' : 'sticky';
    this.assign(contact, agent, reason, `${reason}: ${label}: ${who} is free`);
  }

  /** A stage of named agents: the longest idle of them who can take the contact now. */
  private routeToNamed(contact: WaitingContact, stage: PlanStage, label: string): void {
    let chosen: PassAgent | null = null;
    for (const agentId of stage.agents ?? []) {
      const candidate = this.agentsById.get(agentId);
      if (candidate === undefined || this.cannotTake(contact, candidate, agentId) !== null) continue;
      if (
        chosen === null ||
        candidate.idleSinceMs < chosen.idleSinceMs ||
        (candidate.idleSinceMs === chosen.idleSinceMs && compareIds(candidate.agent.id, chosen.agent.id) < 0)
      )
        chosen = candidate;
    }
    const names = (stage.agents ?? []).join(', ');
    if (chosen === null) {
      this.wait(contact, `${label}: none of the agents ${names} can take it now`, null);
      return;
    }
    this.assign(
      contact,
      chosen,
      'skills',
      `skills: ${label}: ${chosen.agent.id}, the longest idle free of ${names}`,
    );
  }

  /** Why this agent cannot be offered this contact now, or null when they can. */
  private cannotTake(contact: WaitingContact, agent: PassAgent | undefined, agentId: string): string | null {
    if (agent === undefined || !agent.agent.lines.includes(contact.line))
      return `is not signed in on line ${contact.line}`;
    if (contact.excludedAgentIds.includes(agentId)) return 'already declined this contact';
    if (agent.agent.presence === 'offline') return 'is offline';
    if (agent.agent.presence === 'away') return 'is away';
    if (!agent.agent.connected) return 'is disconnected';
    if (!agent.ready) return 'is in wrap-up';
    if (agent.remaining[CHANNEL_INDEX[contact.channel]] <= 0) return `has no free ${contact.channel} slot`;
    return null;
  }

  private trySticky(
    contact: WaitingContact,
    { agentId: preferredId, cause }: PreferredAgent,
    enqueuedMs: number,
    waitSeconds: number,
  ): StickyOutcome {
    const who = `${preferredLabel(cause)} ${preferredId}`;
    if (contact.excludedAgentIds.includes(preferredId)) {
      return { settled: false, note: `${who} already declined this contact` };
    }
    const preferred = this.agentsById.get(preferredId);
    // An agent we were not given, or one not on this line, cannot take the contact at all: treated as
    // offline, so the customer is not kept waiting for someone who will never be offered them.
    if (preferred === undefined || !preferred.agent.lines.includes(contact.line)) {
      return { settled: false, note: `${who} is not signed in on line ${contact.line}` };
    }
    if (preferred.agent.presence === 'offline') return { settled: false, note: `${who} is offline` };

    const channel = contact.channel;
    if (preferred.ready && preferred.remaining[CHANNEL_INDEX[channel]] > 0) {
      // Skills are deliberately not checked: the customer's relationship with this agent (they dealt
      // with them last, or the agent owns their case) is worth more than the IVR intent's skill bar.
      const reason: OfferReason = cause === 'case_owner' ? 'case_owner' : 'sticky';
      this.assign(contact, preferred, reason, `${reason}: ${who} is free (${cause})`);
      return SETTLED;
    }
    // Holding for an agent who cannot take this channel at all would only delay the customer.
    if ((preferred.agent.capacity[channel] ?? 0) <= 0) {
      return { settled: false, note: `${who} takes no ${channel} contacts` };
    }

    const state =
      preferred.agent.presence === 'away'
        ? 'away'
        : !preferred.agent.connected
          ? 'disconnected'
          : preferred.ready
            ? `busy on ${channel}`
            : 'in wrap-up';
    const untilMs = enqueuedMs + waitSeconds * 1000;
    if (!Number.isFinite(untilMs)) return { settled: false, note: `${who} is ${state}` };
    const until = new Date(untilMs);
    if (this.nowMs < untilMs) {
      this.result.holds.push({
        contactId: contact.id,
        agentId: preferredId,
        until,
        trace: `held for ${who} (${state}) until ${until.toISOString()}`,
      });
      return SETTLED;
    }
    return { settled: false, note: `wait for ${who} (${state}) ended at ${until.toISOString()}` };
  }

  /**
   * A contact an agent transferred to another agent by name: offered to them if they can take it now (ready, a free
   * slot on the channel, on the line, not one who declined it), skills aside; otherwise it goes back to whoever
   * transferred it, with why. Nobody waits and nobody else is offered it: the transfer named this agent.
   */
  private transferToAgent(contact: WaitingContact, targetId: string): void {
    const target = this.agentsById.get(targetId);
    const index = CHANNEL_INDEX[contact.channel];
    let why: string | null = null;
    if (target === undefined || !target.agent.lines.includes(contact.line))
      why = `agent ${targetId} does not serve line ${contact.line}`;
    else if (contact.excludedAgentIds.includes(targetId)) why = `agent ${targetId} declined it`;
    else if (target.agent.presence === 'offline' || !target.agent.connected)
      why = `agent ${targetId} is offline`;
    else if (target.agent.presence === 'away') why = `agent ${targetId} is away`;
    else if (!target.ready) why = `agent ${targetId} is in wrap-up`;
    else if (target.remaining[index] <= 0) why = `agent ${targetId} has no free ${contact.channel} slot`;
    if (why === null && target !== undefined) {
      this.assign(contact, target, 'transfer', `transfer: to agent ${targetId}, who is free`);
      return;
    }
    this.result.returned.push({ contactId: contact.id, reason: why ?? `agent ${targetId} cannot take it` });
  }

  /**
   * A case's customer whose owner cannot take them: the owner's deputy if ready with a free slot on this channel and
   * line (not one who declined this contact), else the longest-idle such member of the case's team. Skills are not
   * checked, as for the owner: they are the people who know the case. Nobody waits for either.
   */
  private tryCaseFallback(
    contact: WaitingContact,
    { deputyId, team }: { deputyId: string | null; team: string | null },
    note: string | null,
  ): StickyOutcome {
    const index = CHANNEL_INDEX[contact.channel];
    const why = note === null ? '' : `; ${note}`;
    const notes: string[] = note === null ? [] : [note];
    const canTake = (candidate: PassAgent | undefined): candidate is PassAgent =>
      candidate !== undefined &&
      candidate.ready &&
      candidate.remaining[index] > 0 &&
      candidate.agent.lines.includes(contact.line) &&
      !contact.excludedAgentIds.includes(candidate.agent.id);
    if (deputyId !== null) {
      const deputy = this.agentsById.get(deputyId);
      if (canTake(deputy)) {
        this.assign(contact, deputy, 'deputy', `deputy: ${deputyId}, the case owner's deputy, is free${why}`);
        return SETTLED;
      }
      notes.push(`deputy ${deputyId} cannot take it now`);
    }
    if (team !== null) {
      let chosen: PassAgent | null = null;
      for (const candidate of this.agents) {
        if (candidate.agent.team !== team || !canTake(candidate)) continue;
        if (
          chosen === null ||
          candidate.idleSinceMs < chosen.idleSinceMs ||
          (candidate.idleSinceMs === chosen.idleSinceMs &&
            compareIds(candidate.agent.id, chosen.agent.id) < 0)
        )
          chosen = candidate;
      }
      if (chosen !== null) {
        this.assign(
          contact,
          chosen,
          'team',
          `team: ${chosen.agent.id}, the longest idle free member of the case's team ${team}${why}`,
        );
        return SETTLED;
      }
      notes.push(`nobody of the case's team ${team} is free`);
    }
    return { settled: false, note: notes.join('; ') || null };
  }

  private routeBySkills(
    contact: WaitingContact,
    note: string | null,
    required: Readonly<Record<string, number>>,
  ): void {
    const pool = this.poolFor(contact.line, contact.channel);
    const freeBefore = pool.freeCount;
    if (freeBefore === 0) {
      this.wait(contact, `no agent on line ${contact.line} with ${contact.channel} capacity free`, note);
      return;
    }
    const requirement = this.requirements.compile(required);
    const excluded = contact.excludedAgentIds.length === 0 ? null : new Set(contact.excludedAgentIds);
    const chosen = pool.find(requirement, excluded);
    if (chosen === null) {
      this.wait(contact, pool.explainNoMatch(requirement, excluded), note);
      return;
    }
    if (
      this.cappedCutoffMs !== null &&
      this.relatedIds.has(chosen.agent.id) &&
      chosen.idleSinceMs > this.cappedCutoffMs
    )
      this.result.needsAllAgents = true;
    const idleSeconds = Math.max(0, Math.floor((this.nowMs - chosen.idleSinceMs) / 1000));
    const needs = requirement.label === '' ? 'needs no skills' : `needs ${requirement.label}`;
    const trace =
      `skills: longest idle eligible agent ${chosen.agent.id} (idle ${idleSeconds}s) among ${freeBefore} free ` +
      `on line ${contact.line} with ${contact.channel} capacity; ${needs}`;
    this.assign(contact, chosen, 'skills', note === null ? trace : `${trace}; ${note}`);
  }

  private assign(contact: WaitingContact, chosen: PassAgent, reason: OfferReason, trace: string): void {
    this.takeSlot(chosen, contact.channel);
    this.result.assignments.push({ contactId: contact.id, agentId: chosen.agent.id, reason, trace });
  }

  private wait(contact: WaitingContact, why: string, note: string | null): void {
    // the agents left out of a capped input are less idle than every one given, but may be the only ones who qualify
    if (this.input.agentsComplete === false) this.result.needsAllAgents = true;
    this.result.waiting.push({ contactId: contact.id, trace: note === null ? why : `${why}; ${note}` });
    const stageEnd = this.stageEndOf.get(contact.id);
    if (stageEnd !== undefined) this.result.stageEnds.push({ contactId: contact.id, until: stageEnd });
  }

  private takeSlot(chosen: PassAgent, channel: Channel): void {
    const index = CHANNEL_INDEX[channel];
    chosen.remaining[index]--;
    if (chosen.remaining[index] > 0) return;
    this.openSlots--;
    // Pools built so far hold this agent on every line they serve; pools built later filter them out.
    const lines = chosen.agent.lines;
    for (let i = 0; i < lines.length; i++) {
      if (lines.indexOf(lines[i]) !== i) continue; // a line listed twice is still one pool membership
      this.pools.get(lines[i])?.[index]?.memberFilled();
    }
  }

  private poolFor(line: Line, channel: Channel): AgentPool {
    let byChannel = this.pools.get(line);
    if (byChannel === undefined) {
      byChannel = [];
      this.pools.set(line, byChannel);
    }
    const index = CHANNEL_INDEX[channel];
    let pool = byChannel[index];
    if (pool === undefined) {
      pool = AgentPool.build(line, channel, this.agents);
      byChannel[index] = pool;
    }
    return pool;
  }
}

/** Queue order at `nowMs`: a contact whose priority grows with its wait is placed by its priority now. */
function orderContacts(contacts: readonly WaitingContact[], nowMs: number): OrderedContact[] {
  if (!contacts.some((contact) => contact.plan?.priorityGrowth !== undefined))
    return [...contacts]
      .sort(compareQueueOrder)
      .map((contact) => ({ contact, enqueuedMs: contact.enqueuedAt.getTime() }));
  return contacts
    .map((contact) => ({
      id: contact.id,
      priority: effectivePriority(contact, nowMs),
      enqueuedAt: contact.enqueuedAt,
      contact,
    }))
    .sort(compareQueueOrder)
    .map(({ contact }) => ({ contact, enqueuedMs: contact.enqueuedAt.getTime() }));
}

function preferredLabel(cause: StickyCause): string {
  switch (cause) {
    case 'last_agent':
      return 'last agent';
    case 'case_owner':
      return 'case owner';
  }
}
