import type { AdminClient } from './admin-client';
import { AgentClient } from './agent-client';
import type { Tether } from './start-tether';
import type { TelephonyClient } from './telephony-client';
import { uniqueCallId, uniquePhone } from './unique-ids';
import type {
  CallView,
  Channel,
  IntentRule,
  Line,
  PresenceState,
  RoutingRules,
  StartCallBody,
} from './wire-types';

export interface FloorAgentOptions {
  lines: Line[];
  name?: string;
  skills?: Record<string, number>;
  capacity?: Partial<Record<Channel, number>>;
  deputyId?: string;
  team?: string;
  /** presence once connected; default `available`. `null` leaves the agent as created (offline). */
  status?: PresenceState | null;
  /** default true; false only creates the agent and issues its token */
  connect?: boolean;
  /** connect to this gateway process instead of `tether.urls.gateway` (multi-process systems) */
  gatewayUrl?: string;
}

export interface RulesChange {
  sticky?: Partial<RoutingRules['sticky']>;
  offerTimeoutSeconds?: number;
  wrapUpSeconds?: number;
  intents?: Record<string, IntentRule>;
  callback?: RoutingRules['callback'];
  rules?: RoutingRules['rules'];
  calendar?: RoutingRules['calendar'];
  neverMatch?: RoutingRules['neverMatch'];
  queueLimit?: RoutingRules['queueLimit'];
}

/**
 * What one test put on a shared system (agents, calls, routing rules), undone by `clear()` in afterEach. Tests of a
 * file share one Tether and only three lines; without this, an agent left available by one test would take the
 * next test's call, and a call left queued would be offered to the next test's agent.
 */
export class TestFloor {
  readonly admin: AdminClient;
  private readonly lineClients = new Map<Line, TelephonyClient>();
  private readonly clients: AgentClient[] = [];
  private readonly agentIds = new Set<string>();
  private readonly savedRules = new Map<Line, RoutingRules>();

  constructor(private readonly tether: Tether) {
    this.admin = tether.admin();
  }

  /** The line's telephony client; every call it posts is hung up by `clear()`. */
  line(line: Line): TelephonyClient {
    let client = this.lineClients.get(line);
    if (!client) {
      client = this.tether.line(line);
      this.lineClients.set(line, client);
    }
    return client;
  }

  /** Creates an agent, issues a token, connects their socket and sets their presence (available by default). */
  async agent(options: FloorAgentOptions): Promise<AgentClient> {
    const created = await this.admin.createAgent({
      name: options.name ?? `Agent ${this.agentIds.size + 1}`,
      lines: options.lines,
      ...(options.skills ? { skills: options.skills } : {}),
      ...(options.capacity ? { capacity: options.capacity } : {}),
      ...(options.deputyId ? { deputyId: options.deputyId } : {}),
      ...(options.team ? { team: options.team } : {}),
    });
    this.agentIds.add(created.id);
    const token = await this.admin.issueToken(created.id);
    const client = options.gatewayUrl
      ? new AgentClient(options.gatewayUrl, token, created.id)
      : this.tether.agent(token, created.id);
    this.clients.push(client);
    if (options.connect === false) return client;
    await client.connect();
    const status = options.status === undefined ? 'available' : options.status;
    if (status !== null) {
      const ack = await client.setStatus(status);
      if (!ack.ok) throw new Error(`agent:status ${status} refused: ${ack.error}`);
    }
    return client;
  }

  /** A second socket for an agent this floor created (a reconnect, a second tab): same token, new connection. */
  async reconnect(agent: AgentClient, gatewayUrl = this.tether.urls.gateway): Promise<AgentClient> {
    const client = new AgentClient(gatewayUrl, agent.token, agent.agentId);
    this.clients.push(client);
    await client.connect();
    return client;
  }

  /** Posts a new call (unique callId and caller unless given) and expects 201. */
  async call(line: Line, overrides: Partial<StartCallBody> = {}): Promise<CallView> {
    const body: StartCallBody = {
      callId: uniqueCallId(),
      from: uniquePhone(),
      to: '+15550000001',
      ...overrides,
    };
    const response = await this.line(line).postCall(body);
    if (response.status !== 201)
      throw new Error(`call ${body.callId}: expected 201, got ${response.status} ${response.text}`);
    return response.body;
  }

  /** Changes a line's routing rules for this test only: `clear()` puts back what was there before. */
  async rules(line: Line, change: RulesChange): Promise<RoutingRules> {
    const {
      line: _line,
      version: _version,
      updatedAt: _updatedAt,
      ...current
    } = await this.admin.getRouting(line);
    if (!this.savedRules.has(line)) this.savedRules.set(line, current);
    const next: RoutingRules = {
      ...current,
      ...change,
      sticky: { ...current.sticky, ...change.sticky },
    };
    await this.admin.putRouting(line, next);
    return next;
  }

  /** Cancels waiting callbacks, hangs up every call, deletes every agent (which revokes their offers), closes sockets, restores rules. */
  async clear(): Promise<void> {
    // a callback survives its caller's hang-up by design: cancel the ones still waiting
    const waiting = await this.admin
      .request<{ id: string }[]>('GET', '/v1/callbacks?state=waiting&limit=500')
      .catch(() => undefined);
    if (waiting?.status === 200)
      await Promise.all(
        waiting.body.map((callback) =>
          this.admin.request('DELETE', `/v1/callbacks/${callback.id}`).catch(() => undefined),
        ),
      );
    for (const client of this.lineClients.values()) {
      await Promise.all([...client.callIds].map((callId) => client.hangup(callId).catch(() => undefined)));
      client.callIds.clear();
    }
    await Promise.all(
      [...this.agentIds].map((id) => this.admin.request('DELETE', `/v1/agents/${id}`).catch(() => undefined)),
    );
    for (const client of this.clients) client.close();
    for (const [line, rules] of this.savedRules) await this.admin.putRouting(line, rules);
    this.agentIds.clear();
    this.clients.length = 0;
    this.savedRules.clear();
  }
}
