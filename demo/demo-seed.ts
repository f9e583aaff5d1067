import type { AdminApi } from './admin-api';

export type DemoLine = 'sales' | 'presales' | 'service';
export const DEMO_LINES: readonly DemoLine[] = ['sales', 'presales', 'service'];

export interface DemoAgent {
  id: string;
  name: string;
  lines: DemoLine[];
  /** the skills the demo gave it (its profile's; an agent kept from an earlier run has its profile's too) */
  skills: Record<string, number>;
}

/** Whether an agent with these skills may take a call with this intent on this line (no intent: anyone). */
export function qualifiesFor(
  skills: Record<string, number>,
  line: DemoLine,
  intent: string | undefined,
): boolean {
  const needed = intent ? DEMO_INTENTS[line][intent]?.skills : undefined;
  return Object.entries(needed ?? {}).every(([skill, level]) => (skills[skill] ?? 0) >= level);
}

/** First names for the simulated agents; the demo's agents are recognised by the ` (demo)` suffix. */
const FIRST_NAMES = ['Ada', 'Ben', 'Chloe', 'Dmitri', 'Esther', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas'];
const DEMO_SUFFIX = ' (demo)';

/** Three kinds of agent in turn, so that every line has someone for every intent whatever `--agents` is. */
const PROFILES: { lines: DemoLine[]; skills: Record<string, number> }[] = [
  { lines: ['sales', 'presales'], skills: { orders: 7, product: 6 } },
  { lines: ['service'], skills: { billing: 8, tech: 4 } },
  { lines: ['service', 'sales'], skills: { tech: 8, billing: 5, orders: 4 } },
];

/** The IVR intents each line understands, and what they need (the line's `intents` routing rules). */
export const DEMO_INTENTS: Record<
  DemoLine,
  Record<string, { skills: Record<string, number>; priority?: number }>
> = {
  sales: { new_order: { skills: { orders: 5 } }, upgrade: { skills: { orders: 3 }, priority: 1 } },
  presales: { product_question: { skills: { product: 3 } }, pricing: { skills: { product: 5 } } },
  service: {
    billing: { skills: { billing: 5 }, priority: 1 },
    outage: { skills: { tech: 5 }, priority: 2 },
    password_reset: { skills: { tech: 3 } },
  },
};

/** Known customers (fictional numbers in the 555-01xx range); callers beyond them are new, unknown numbers. */
export const DEMO_CUSTOMERS: { name: string; phone: string }[] = [
  'Maria Lopez',
  'Kenji Sato',
  'Olga Petrova',
  'Samuel Okafor',
  'Lea Martin',
  'Tomás Silva',
  'Aisha Khan',
  'Niels Berg',
].map((name, i) => ({ name, phone: `+1555010${String(i + 1).padStart(4, '0')}` }));

export function demoAgentName(index: number): string {
  const base = FIRST_NAMES[index % FIRST_NAMES.length];
  const round = Math.floor(index / FIRST_NAMES.length);
  return `${round === 0 ? base : `${base} ${round + 1}`}${DEMO_SUFFIX}`;
}

export interface SeedReport {
  agents: DemoAgent[];
  agentsCreated: number;
  intentsAdded: number;
  customersCreated: number;
}

/**
 * Seeds what the demo needs, reusing whatever an earlier run left: agents are found by name, intents already on a
 * line are kept as they are (only missing ones are added, in one PUT per line), and a customer whose number is
 * already registered is left alone.
 */
export async function seedDemo(admin: AdminApi, agentCount: number): Promise<SeedReport> {
  const existing = await listAgents(admin);
  const agents: DemoAgent[] = [];
  let agentsCreated = 0;
  for (let i = 0; i < agentCount; i++) {
    const name = demoAgentName(i);
    const profile = PROFILES[i % PROFILES.length];
    const found = existing.find((agent) => agent.name === name);
    if (found) {
      agents.push({ id: found.id, name, lines: found.lines.filter(isDemoLine), skills: profile.skills });
      continue;
    }
    const created = await admin.expect<{ id: string }>('POST', '/v1/agents', [201], {
      name,
      lines: profile.lines,
      skills: profile.skills,
      capacity: { voice: 1 },
    });
    agentsCreated++;
    agents.push({ id: created.id, name, lines: profile.lines, skills: profile.skills });
  }

  let intentsAdded = 0;
  for (const line of DEMO_LINES) {
    const rules = await admin.expect<{ intents?: Record<string, unknown> }>(
      'GET',
      `/v1/lines/${line}/routing`,
      [200],
    );
    const intents = { ...(rules.intents ?? {}) };
    const missing = Object.entries(DEMO_INTENTS[line]).filter(([intent]) => !(intent in intents));
    if (missing.length === 0) continue;
    for (const [intent, rule] of missing) intents[intent] = rule;
    await admin.expect('PUT', `/v1/lines/${line}/routing`, [200], { ...rules, intents });
    intentsAdded += missing.length;
  }

  let customersCreated = 0;
  for (const customer of DEMO_CUSTOMERS) {
    const answer = await admin.request('POST', '/v1/customers', {
      name: customer.name,
      phones: [customer.phone],
    });
    if (answer.status === 201) customersCreated++;
    else if (answer.status !== 409)
      throw new Error(`POST /v1/customers answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  return { agents, agentsCreated, intentsAdded, customersCreated };
}

async function listAgents(admin: AdminApi): Promise<{ id: string; name: string; lines: string[] }[]> {
  const all: { id: string; name: string; lines: string[] }[] = [];
  let path: string | undefined = '/v1/agents?limit=500';
  while (path) {
    const page: {
      status: number;
      body: { id: string; name: string; lines: string[] }[];
      link: string | null;
    } = await admin.request('GET', path);
    if (page.status !== 200)
      throw new Error(`GET ${path} answered ${page.status}: ${JSON.stringify(page.body)}`);
    all.push(...page.body);
    path = /<([^>]+)>;\s*rel="next"/.exec(page.link ?? '')?.[1];
  }
  return all;
}

function isDemoLine(line: string): line is DemoLine {
  return (DEMO_LINES as readonly string[]).includes(line);
}
