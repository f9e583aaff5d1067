/**
 * Micro-benchmark of line rules (issue #15): how many arrival decisions one core makes per second with 50 rules per
 * line (`CompiledRuleSet.decide`: what intake runs per contact, no I/O), and what routing by stages costs a pass
 * (`RoutingEngine.decide` over 5,000 waiting contacts, each with a 3-stage plan, 1,000 agents).
 *
 * Run with `npm run bench -- rules` (or, after `npm run build`, node dist/bench/engine/rules.bench.js [--json <file>]).
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  CompiledRuleSet,
  RoutingEngine,
  mergeRoutingRules,
  planOf,
  type AgentCandidate,
  type ContactFacts,
  type RoutingRule,
  type WaitingContact,
} from '@tether/routing';
import { BenchArgs, writeJson } from '../common/bench-cli';

const RULES_PER_LINE = 50;
const FACTS = 10_000;
const AGENTS = 1_000;
const CONTACTS = 5_000;
const SKILLS = Array.from({ length: 20 }, (_, i) => `skill-${i + 1}`);
const NOW = new Date('2026-03-02T10:00:00.000Z');

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 50 rules of the kinds admins write; most contacts fall through most of them (the costly case). */
function buildRules(random: () => number): RoutingRule[] {
  return Array.from({ length: RULES_PER_LINE }, (_, i): RoutingRule => {
    const skill = SKILLS[i % SKILLS.length];
    switch (i % 5) {
      case 0:
        return { name: `vip-${i}`, when: { attributes: { segment: [`tier-${i}`] } }, priority: 10 };
      case 1:
        return {
          name: `intent-${i}`,
          when: { intent: [`intent-${i}`], language: ['de', 'en'] },
          stages: [{ seconds: 30, preferred: true }, { seconds: 60, skills: { [skill]: 7 } }, {}],
        };
      case 2:
        return {
          name: `hours-${i}`,
          when: { businessHours: 'closed', digits: [`${i}`] },
          announcement: 'closed',
        };
      case 3:
        return { name: `repeat-${i}`, when: { repeatWithinDays: 1 + (i % 7), openCase: true }, priority: 5 };
      default:
        return {
          name: `prefix-${i}`,
          when: { fromPrefix: [`+${1 + Math.floor(random() * 98)}`], channel: ['voice'] },
          skills: { [skill]: 3 },
        };
    }
  });
}

function buildFacts(random: () => number): ContactFacts[] {
  return Array.from({ length: FACTS }, () => ({
    channel: 'voice' as const,
    ivr: {
      intent: `intent-${Math.floor(random() * 60)}`,
      digits: `${Math.floor(random() * 60)}`,
      language: 'de',
    },
    from: `+${Math.floor(random() * 1e11)}`,
    at: new Date(NOW.getTime() + Math.floor(random() * 7 * 86400_000)),
    customer: {
      known: true,
      attributes: { segment: `tier-${Math.floor(random() * 100)}` },
      openCase: random() < 0.2,
      lastContactAt: new Date(NOW.getTime() - Math.floor(random() * 30 * 86400_000)),
    },
  }));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function main(): void {
  const random = seededRandom(15);
  const rules = mergeRoutingRules({
    rules: buildRules(random),
    calendar: { timeZone: 'Europe/Berlin', weekly: { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']] } },
  });
  const compiled = CompiledRuleSet.for(rules);
  const facts = buildFacts(random);

  for (let i = 0; i < 3; i++) for (const f of facts) compiled.decide(f);
  const arrivalRates: number[] = [];
  let matched = 0;
  for (let run = 0; run < 7; run++) {
    const start = performance.now();
    for (const f of facts) if (compiled.decide(f).rule !== null) matched++;
    arrivalRates.push(FACTS / ((performance.now() - start) / 1000));
  }

  const agents: AgentCandidate[] = Array.from({ length: AGENTS }, (_, i) => ({
    id: `agent-${String(i).padStart(4, '0')}`,
    presence: 'available',
    connected: true,
    lines: ['sales'],
    skills: Object.fromEntries(
      SKILLS.filter(() => random() < 0.3).map((s) => [s, 1 + Math.floor(random() * 10)]),
    ),
    capacity: { voice: 1 },
    load: { voice: random() < 0.8 ? 1 : 0 },
    idleSince: new Date(NOW.getTime() - Math.floor(random() * 3600_000)),
    wrapUpUntil: null,
  }));
  const plans = rules.rules!.map((rule) => planOf(rule)).filter((plan) => plan !== null);
  const contacts: WaitingContact[] = Array.from({ length: CONTACTS }, (_, i) => ({
    id: `contact-${String(i).padStart(5, '0')}`,
    line: 'sales',
    channel: 'voice',
    priority: Math.floor(random() * 3),
    enqueuedAt: new Date(NOW.getTime() - Math.floor(random() * 180_000)),
    requiredSkills: {},
    relations: {
      lastAgent:
        random() < 0.3 ? { agentId: agents[Math.floor(random() * AGENTS)].id, connectedAt: NOW } : null,
      caseOwnerId: null,
    },
    excludedAgentIds: [],
    plan: plans[i % plans.length],
  }));
  const engine = new RoutingEngine();
  const input = { line: 'sales', now: NOW, rules, contacts, agents };
  for (let i = 0; i < 10; i++) engine.decide(input);
  const passRates: number[] = [];
  let decisions = 0;
  for (let run = 0; run < 7; run++) {
    const start = performance.now();
    for (let pass = 0; pass < 10; pass++) {
      const result = engine.decide(input);
      decisions = result.assignments.length + result.holds.length + result.waiting.length;
    }
    passRates.push(10 / ((performance.now() - start) / 1000));
  }

  const arrivalsPerSecond = Math.round(median(arrivalRates));
  const passesPerSecond = Math.round(median(passRates) * 10) / 10;
  console.log(
    `line rules micro-benchmark: node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
  );
  console.log(
    `arrival decisions with ${RULES_PER_LINE} rules per line: ${arrivalsPerSecond.toLocaleString('en-US')}/s ` +
      `(${Math.round((matched / (FACTS * 7)) * 100)}% matched a rule; medians of 7 runs x ${FACTS} contacts)`,
  );
  console.log(
    `routing passes with 3-stage plans, ${CONTACTS} contacts x ${AGENTS} agents: ${passesPerSecond}/s ` +
      `= ${Math.round(passesPerSecond * decisions).toLocaleString('en-US')} decisions/s`,
  );
  writeJson(new BenchArgs().string('json'), {
    rulesPerLine: RULES_PER_LINE,
    arrivalDecisionsPerSecond: arrivalsPerSecond,
    stagedPassesPerSecond: passesPerSecond,
    stagedDecisionsPerSecond: Math.round(passesPerSecond * decisions),
  });
}

main();
