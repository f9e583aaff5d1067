/**
 * Micro-benchmark of the pure routing engine: how many routing decisions one core makes per second
 * with 1,000 agents (20 skills) and 5,000 waiting contacts on one line. No I/O, so this is the
 * ceiling the engine puts on a routing pass; the services around it (PostgreSQL, Redis, socket.io)
 * are measured elsewhere.
 *
 * Run with `npm run bench -- engine` (or, after `npm run build`, node dist/bench/engine/engine.bench.js
 * [--json <file>]).
 * A "decision" is any entry in a pass result (assignment, hold or waiting-with-reason): each is a
 * contact the engine had to rule on. Assignments are reported separately.
 */
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  RoutingEngine,
  mergeRoutingRules,
  type AgentCandidate,
  type Channel,
  type IntentRule,
  type Line,
  type RoutingPassInput,
  type RoutingPassResult,
  type WaitingContact,
} from '@tether/routing';
import { BenchArgs, writeJson } from '../common/bench-cli';

const AGENT_COUNT = 1_000;
const CONTACT_COUNT = 5_000;
const SKILLS = Array.from({ length: 20 }, (_, i) => `skill-${String(i + 1).padStart(2, '0')}`);
const INTENT_COUNT = 40;
const WARM_UP_PASSES = 40;
const TIMED_RUNS = 7;
const PASSES_PER_RUN = 25;
const NOW = new Date('2026-03-02T10:00:00.000Z');

interface Scenario {
  name: string;
  what: string;
  input: RoutingPassInput;
}

interface AgentShape {
  /** share of agents with every channel already at capacity */
  busyShare: number;
  /** share of signed-in agents in wrap-up */
  wrapUpShare: number;
}

interface ContactShape {
  /** every contact gets its own random requirement instead of one of INTENT_COUNT intents */
  uniqueRequirements: boolean;
}

/** mulberry32: tiny, fast, and the same sequence on every machine, so runs are comparable. */
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

function intBetween(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

function secondsBefore(seconds: number): Date {
  return new Date(NOW.getTime() - seconds * 1000);
}

function buildAgents(random: () => number, shape: AgentShape): AgentCandidate[] {
  const otherLines: Line[] = ['presales', 'service'];
  return Array.from({ length: AGENT_COUNT }, (_, i) => {
    const skills: Record<string, number> = {};
    for (const skill of SKILLS) if (random() < 0.6) skills[skill] = intBetween(random, 1, 10);
    const capacity: Partial<Record<Channel, number>> = { voice: 1 };
    if (random() < 0.6) capacity.chat = intBetween(random, 2, 4);
    if (random() < 0.3) capacity.email = 5;
    if (random() < 0.4) capacity.messenger = 3;
    const busy = random() < shape.busyShare;
    const load: Partial<Record<Channel, number>> = busy ? { ...capacity } : {};
    const presenceRoll = random();
    const presence = presenceRoll < 0.85 ? 'available' : presenceRoll < 0.95 ? 'away' : 'offline';
    const lines: Line[] = ['sales', ...otherLines.filter(() => random() < 0.3)];
    return {
      id: `agent-${String(i).padStart(4, '0')}`,
      presence,
      connected: presence !== 'offline',
      lines,
      skills,
      capacity,
      load,
      idleSince: secondsBefore(intBetween(random, 0, 3_600)),
      wrapUpUntil: random() < shape.wrapUpShare ? new Date(NOW.getTime() + 20_000) : null,
    };
  });
}

function randomRequirement(
  random: () => number,
  maxSkills: number,
  maxLevel: number,
): Record<string, number> {
  const required: Record<string, number> = {};
  const count = intBetween(random, 0, maxSkills);
  for (let i = 0; i < count; i++) required[pick(random, SKILLS)] = intBetween(random, 1, maxLevel);
  return required;
}

function buildContacts(
  random: () => number,
  agents: readonly AgentCandidate[],
  shape: ContactShape,
): WaitingContact[] {
  const intents: IntentRule[] = Array.from({ length: INTENT_COUNT }, () => ({
    skills: randomRequirement(random, 3, 8),
    priority: random() < 0.1 ? intBetween(random, 1, 3) : 0,
  }));
  const channels: Channel[] = [
    'voice',
    'voice',
    'voice',
    'voice',
    'voice',
    'chat',
    'chat',
    'chat',
    'email',
    'messenger',
  ];
  return Array.from({ length: CONTACT_COUNT }, (_, i) => {
    const intent = pick(random, intents);
    const sticky = random() < 0.15;
    const excludedAgentIds = random() < 0.05 ? [pick(random, agents).id, pick(random, agents).id] : [];
    return {
      id: `contact-${String(i).padStart(5, '0')}`,
      line: 'sales',
      channel: pick(random, channels),
      priority: intent.priority ?? 0,
      enqueuedAt: secondsBefore(intBetween(random, 0, 1_800)),
      // A fresh object per contact, as rows loaded from the database would be: no shared-object shortcuts.
      requiredSkills: shape.uniqueRequirements ? randomRequirement(random, 3, 10) : { ...intent.skills },
      relations: !sticky
        ? { lastAgent: null, caseOwnerId: null }
        : random() < 0.8
          ? {
              lastAgent: { agentId: pick(random, agents).id, connectedAt: secondsBefore(3_600) },
              caseOwnerId: null,
            }
          : { lastAgent: null, caseOwnerId: pick(random, agents).id },
      excludedAgentIds,
    };
  });
}

function buildScenario(
  name: string,
  what: string,
  seed: number,
  agentShape: AgentShape,
  contactShape: ContactShape,
): Scenario {
  const random = seededRandom(seed);
  const agents = buildAgents(random, agentShape);
  const contacts = buildContacts(random, agents, contactShape);
  return { name, what, input: { line: 'sales', now: NOW, rules: mergeRoutingRules(), contacts, agents } };
}

interface Measurement {
  passesPerSecond: number;
  decisionsPerPass: number;
  assignmentsPerPass: number;
  holdsPerPass: number;
  waitingPerPass: number;
  p50Ms: number;
  p99Ms: number;
  heapUsedMb: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Cheap fingerprint of a result, to check every pass over the same input decides the same way. */
function fingerprint(result: RoutingPassResult): string {
  const assignments = result.assignments.map((a) => `${a.contactId}>${a.agentId}`).join(',');
  return `${assignments}|${result.holds.length}|${result.waiting.length}`;
}

function measure(scenario: Scenario): Measurement {
  const engine = new RoutingEngine();
  const reference = engine.decide(scenario.input);
  const expected = fingerprint(reference);
  for (let i = 0; i < WARM_UP_PASSES; i++) engine.decide(scenario.input);

  const latencies: number[] = [];
  const runRates: number[] = [];
  let last = reference;
  for (let run = 0; run < TIMED_RUNS; run++) {
    const runStart = performance.now();
    for (let pass = 0; pass < PASSES_PER_RUN; pass++) {
      const start = performance.now();
      last = engine.decide(scenario.input);
      latencies.push(performance.now() - start);
    }
    runRates.push(PASSES_PER_RUN / ((performance.now() - runStart) / 1000));
  }
  if (fingerprint(last) !== expected)
    throw new Error(`${scenario.name}: passes over the same input disagree`);

  latencies.sort((a, b) => a - b);
  return {
    passesPerSecond: median(runRates),
    decisionsPerPass: reference.assignments.length + reference.holds.length + reference.waiting.length,
    assignmentsPerPass: reference.assignments.length,
    holdsPerPass: reference.holds.length,
    waitingPerPass: reference.waiting.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    heapUsedMb: process.memoryUsage().heapUsed / 1024 / 1024,
  };
}

function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function printTable(rows: readonly string[][]): void {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
      .join('  ');
  console.log(line(rows[0]));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows.slice(1)) console.log(line(row));
}

function main(): void {
  const scenarios = [
    buildScenario(
      'steady',
      '80% of agents at capacity, 40 IVR intents',
      1,
      { busyShare: 0.8, wrapUpShare: 0.05 },
      { uniqueRequirements: false },
    ),
    buildScenario(
      'cold-start',
      'every agent free, 40 IVR intents',
      2,
      { busyShare: 0, wrapUpShare: 0 },
      { uniqueRequirements: false },
    ),
    buildScenario(
      'unique-reqs',
      'every agent free, each contact its own 0-3 skills at min 1-10',
      3,
      { busyShare: 0, wrapUpShare: 0 },
      { uniqueRequirements: true },
    ),
  ];

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `routing engine micro-benchmark: ${AGENT_COUNT} agents, ${SKILLS.length} skills, ${CONTACT_COUNT} waiting contacts per pass`,
  );
  console.log(
    `node ${process.version}, ${cpus().length} x ${cpu}; ${WARM_UP_PASSES} warm-up passes, then ${TIMED_RUNS} runs x ${PASSES_PER_RUN} passes (medians of runs)`,
  );
  console.log(
    'decision = assignment + hold + waiting entry (every contact ruled on); assignment = contact given an agent\n',
  );

  const rows: string[][] = [
    [
      'scenario',
      'passes/s',
      'decisions/s',
      'assignments/s',
      'p50 ms',
      'p99 ms',
      'heap MB',
      'assigned/held/waiting per pass',
    ],
  ];
  const results = [];
  for (const scenario of scenarios) {
    const m = measure(scenario);
    results.push({
      scenario: scenario.name,
      what: scenario.what,
      passesPerSecond: Math.round(m.passesPerSecond * 10) / 10,
      decisionsPerSecond: Math.round(m.passesPerSecond * m.decisionsPerPass),
      assignmentsPerSecond: Math.round(m.passesPerSecond * m.assignmentsPerPass),
      p50Ms: m.p50Ms,
      p99Ms: m.p99Ms,
      assignedHeldWaitingPerPass: [m.assignmentsPerPass, m.holdsPerPass, m.waitingPerPass],
    });
    rows.push([
      scenario.name,
      formatNumber(m.passesPerSecond, 1),
      formatNumber(m.passesPerSecond * m.decisionsPerPass),
      formatNumber(m.passesPerSecond * m.assignmentsPerPass),
      formatNumber(m.p50Ms, 2),
      formatNumber(m.p99Ms, 2),
      formatNumber(m.heapUsedMb, 1),
      `${m.assignmentsPerPass}/${m.holdsPerPass}/${m.waitingPerPass}`,
    ]);
  }
  printTable(rows);
  console.log('');
  for (const scenario of scenarios) console.log(`${scenario.name}: ${scenario.what}`);
  writeJson(new BenchArgs().string('json'), {
    agents: AGENT_COUNT,
    skills: SKILLS.length,
    waitingContacts: CONTACT_COUNT,
    scenarios: results,
  });
}

main();
