import { randomInt } from 'node:crypto';
import type { OfferPayload } from '@tether/realtime';
import { signatureHeader } from '@tether/telephony';
import { maskPhone, shortId, type DemoPrinter } from './demo-printer';
import { DEMO_CUSTOMERS, DEMO_INTENTS, DEMO_LINES, type DemoLine } from './demo-seed';
import type { AgentListener, SimulatedAgent } from './simulated-agent';
import type { TetherTarget } from './tether-target';

type CallState = 'waiting' | 'talking' | 'wrapping' | 'done' | 'abandoned' | 'failed';

interface DemoCall {
  callId: string;
  label: string;
  line: DemoLine;
  from: string;
  contactId?: string;
  state: CallState;
  placedAt: number;
  hangupTimer?: NodeJS.Timeout;
  /** an agent declined it once already */
  declined?: boolean;
  /** the IVR intent it was placed with */
  intent?: string;
  /** false for a call someone else placed (by hand, say) that a demo agent was offered: not counted */
  own: boolean;
}

/** Each line's number as the IVR dials it. */
const LINE_NUMBERS: Record<DemoLine, string> = {
  sales: '+15550000001',
  presales: '+15550000002',
  service: '+15550000003',
};
/** How the calls spread over the lines. */
const LINE_WEIGHTS: [DemoLine, number][] = [
  ['service', 0.5],
  ['sales', 0.3],
  ['presales', 0.2],
];

const between = (min: number, max: number) => min + Math.random() * (max - min);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * The telephony platform's side of the demo (signed calls at a gentle rate on the three lines, a returning caller
 * now and then, hang-ups when a conversation is over) and the story it prints: one line per event.
 */
export class DemoFloor implements AgentListener {
  private readonly calls = new Map<string, DemoCall>();
  private readonly byContact = new Map<string, DemoCall>();
  private readonly runId = Date.now().toString(36);
  private placed = 0;
  private rejects = 0;
  private sticky = 0;
  private placing = false;
  private placingLoop: Promise<void> | undefined;
  /** new callers' numbers of this run, some of whom call again */
  private readonly newCallers: string[] = [];

  constructor(
    private readonly tether: TetherTarget,
    private readonly printer: DemoPrinter,
    /** calls per minute */
    private readonly rate: number,
    /** how many demo agents serve each line: calls go only to lines someone serves */
    private readonly agentsPerLine: Record<DemoLine, number>,
    /** how many demo agents serve the line with the skills the intent needs */
    private readonly qualified: (line: DemoLine, intent: string | undefined) => number = (line) =>
      agentsPerLine[line] ?? 0,
  ) {}

  /**
   * One decline per call, and only where another agent could take it (serves the line with the intent's skills): a
   * declined contact never comes back to the agent who declined it, so nobody is left waiting for no one.
   */
  mayDecline(offer: OfferPayload): boolean {
    const call = this.callOfOffer(offer);
    return this.placing && !call.declined && this.qualified(call.line, call.intent) >= 2;
  }

  /** Starts placing calls: the first at once, then at random intervals averaging 60/rate seconds. */
  startCalling(): void {
    this.placing = true;
    this.placingLoop = (async () => {
      while (this.placing) {
        await this.placeCall();
        const gap = -Math.log(1 - Math.random()) * (60_000 / this.rate);
        const until = Date.now() + Math.min(gap, (4 * 60_000) / this.rate);
        while (this.placing && Date.now() < until) await sleep(Math.min(250, until - Date.now()));
      }
    })();
  }

  async stopCalling(): Promise<void> {
    this.placing = false;
    await this.placingLoop;
  }

  /** Calls still in progress (waiting, offered, talking or being wrapped up). */
  get inProgress(): number {
    return [...this.calls.values()].filter(
      (c) => c.state === 'waiting' || c.state === 'talking' || c.state === 'wrapping',
    ).length;
  }

  /** Waits until every call is over or `ms` have passed; resolves whether they all are. */
  async drain(ms: number, interrupted: () => boolean): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.inProgress > 0 && Date.now() < deadline && !interrupted()) await sleep(200);
    return this.inProgress === 0;
  }

  /** Hangs up every call not over yet: a waiting caller abandons, a conversation ends (its agent completes it). */
  async hangUpAll(): Promise<void> {
    const open = [...this.calls.values()].filter((c) => c.state === 'waiting' || c.state === 'talking');
    await Promise.all(open.map((call) => this.hangUp(call)));
  }

  summary(): string {
    const count = (state: CallState) =>
      [...this.calls.values()].filter((c) => c.own && c.state === state).length;
    return (
      `placed ${this.placed} · waiting ${count('waiting')} · talking ${count('talking') + count('wrapping')} · ` +
      `completed ${count('done')} · abandoned ${count('abandoned')} · rejected offers ${this.rejects} · ` +
      `sticky offers ${this.sticky}` +
      (count('failed') ? ` · failed ${count('failed')}` : '')
    );
  }

  counts(): { placed: number; completed: number; abandoned: number; failed: number } {
    const count = (state: CallState) =>
      [...this.calls.values()].filter((c) => c.own && c.state === state).length;
    return {
      placed: this.placed,
      completed: count('done'),
      abandoned: count('abandoned'),
      failed: count('failed'),
    };
  }

  // ---- the telephony platform's side

  private async placeCall(): Promise<void> {
    const line = pickLine((l) => this.agentsPerLine[l] > 0);
    // only intents some demo agent has the skills for: with few agents (`--agents 2`: nobody has tech 5) an outage
    // call could only wait until the caller gave up, which demonstrates nothing but a short staff
    const intents = Object.keys(DEMO_INTENTS[line]).filter((i) => this.qualified(line, i) > 0);
    const intent =
      Math.random() < 0.1 || intents.length === 0 ? undefined : intents[randomInt(intents.length)];
    const from = this.pickCaller();
    const n = ++this.placed;
    const call: DemoCall = {
      callId: `demo-${this.runId}-${n}`,
      label: `call #${n}`,
      line,
      from,
      state: 'waiting',
      placedAt: Date.now(),
      own: true,
      intent,
    };
    this.calls.set(call.callId, call);
    const body = JSON.stringify({
      callId: call.callId,
      from,
      to: LINE_NUMBERS[line],
      ...(intent ? { ivr: { intent, language: 'en' } } : {}),
    });
    try {
      const response = await this.signed(line, 'POST', '/v1/telephony/calls', body);
      const answer = (await response.json()) as {
        contactId?: string;
        status?: string;
        customer?: { id: string; known: boolean };
        queuePosition?: number | null;
        message?: unknown;
      };
      if (response.status !== 201 || !answer.contactId)
        throw new Error(`${response.status} ${JSON.stringify(answer.message ?? answer)}`);
      call.contactId = answer.contactId;
      this.byContact.set(answer.contactId, call);
      const who = answer.customer?.known ? `known customer ${shortId(answer.customer.id)}` : 'a new caller';
      this.printer.event(
        'call',
        `${call.label} on ${line}: ${who} (${maskPhone(from)}), ${intent ? `intent ${intent}` : 'no intent'} → ${answer.status}` +
          (answer.queuePosition ? `, #${answer.queuePosition} in the queue` : ''),
      );
    } catch (error) {
      call.state = 'failed';
      this.printer.event('problem', `${call.label} on ${line} was not taken: ${(error as Error).message}`);
    }
  }

  /** A known customer half the time (they come back to their last agent), else a new number, some of which call again. */
  private pickCaller(): string {
    const roll = Math.random();
    if (roll < 0.5) return DEMO_CUSTOMERS[randomInt(DEMO_CUSTOMERS.length)].phone;
    if (roll < 0.7 && this.newCallers.length > 0) return this.newCallers[randomInt(this.newCallers.length)];
    const fresh = `+1555020${String(randomInt(10_000)).padStart(4, '0')}`;
    this.newCallers.push(fresh);
    return fresh;
  }

  private async hangUp(call: DemoCall): Promise<void> {
    clearTimeout(call.hangupTimer);
    const before = call.state;
    if (before !== 'waiting' && before !== 'talking') return;
    call.state = before === 'waiting' ? 'abandoned' : 'wrapping';
    const path = `/v1/telephony/calls/${encodeURIComponent(call.callId)}/events`;
    try {
      const response = await this.signed(call.line, 'POST', path, JSON.stringify({ type: 'hangup' }));
      await response.arrayBuffer();
      if (response.status >= 300) throw new Error(`answered ${response.status}`);
      this.printer.event(
        'hangup',
        before === 'waiting'
          ? `${call.label}: the caller gave up after ${seconds(call.placedAt)} s waiting`
          : `${call.label}: the caller hangs up`,
      );
    } catch (error) {
      this.printer.event('problem', `${call.label}: hang-up not taken: ${(error as Error).message}`);
    }
  }

  private signed(line: DemoLine, method: string, path: string, body: string): Promise<Response> {
    return fetch(`${this.tether.lineUrls[line]}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        'x-tether-signature': signatureHeader(this.tether.webhookSecret, { method, path, rawBody: body }),
      },
      body,
      signal: AbortSignal.timeout(30_000),
    });
  }

  /** The call an offer is for: by its call id, which the offer carries (it may beat the webhook's answer here). */
  private callOfOffer(offer: OfferPayload): DemoCall {
    let call = this.calls.get(offer.contact.callId);
    if (!call) {
      // not one of ours (placed by hand meanwhile): the demo's caller side still ends it, or its agent would wait
      call = {
        callId: offer.contact.callId,
        label: `call ${offer.contact.callId}`,
        line: offer.contact.line as DemoLine,
        from: '',
        state: 'waiting',
        placedAt: Date.parse(offer.contact.enqueuedAt),
        own: false,
      };
      this.calls.set(call.callId, call);
    }
    if (call && !call.contactId) {
      call.contactId = offer.contact.id;
      this.byContact.set(offer.contact.id, call);
    }
    return call;
  }

  private labelOf(offer: OfferPayload): string {
    return this.callOfOffer(offer).label;
  }

  // ---- what the agents do (AgentListener)

  offered(agent: SimulatedAgent, offer: OfferPayload): void {
    if (offer.reason === 'sticky') this.sticky++;
    const why =
      offer.reason === 'sticky'
        ? 'sticky: they talked to this caller last time'
        : offer.reason === 'case_owner'
          ? "case owner: it is this customer's open case"
          : offer.reason;
    this.printer.event('offer', `${this.labelOf(offer)} → ${agent.name} (${why})`);
  }

  rejected(agent: SimulatedAgent, offer: OfferPayload, reason: string): void {
    this.rejects++;
    this.callOfOffer(offer).declined = true;
    this.printer.event('reject', `${agent.name} declines ${this.labelOf(offer)} ("${reason}"): routed on`);
  }

  accepted(agent: SimulatedAgent, offer: OfferPayload): void {
    const call = this.callOfOffer(offer);
    this.printer.event(
      'accept',
      `${agent.name} takes ${this.labelOf(offer)}` + (call ? ` after ${seconds(call.placedAt)} s` : ''),
    );
    if (!call || call.state !== 'waiting') return;
    call.state = 'talking';
    // the conversation: the caller hangs up when it is over
    call.hangupTimer = setTimeout(
      () => void this.hangUp(call),
      this.placing ? between(5_000, 15_000) : between(1_000, 3_000),
    );
  }

  completed(agent: SimulatedAgent, contactId: string, resolution: string, wrapUpUntil: string | null): void {
    const call = this.byContact.get(contactId);
    if (call) call.state = 'done';
    const wrap = wrapUpUntil ? `, wrap-up until ${wrapUpUntil.slice(11, 19)}` : '';
    this.printer.event(
      'done',
      `${agent.name} completes ${call?.label ?? `contact ${shortId(contactId)}`}: ${resolution}${wrap}`,
    );
  }

  presence(agent: SimulatedAgent, text: string): void {
    this.printer.event('agent', `${agent.name} ${text}`);
  }

  problem(agent: SimulatedAgent, text: string): void {
    this.printer.event('problem', `${agent.name}: ${text}`);
  }
}

function pickLine(served: (line: DemoLine) => boolean): DemoLine {
  const weights = LINE_WEIGHTS.filter(([line]) => served(line));
  let roll = Math.random() * weights.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [line, weight] of weights) {
    roll -= weight;
    if (roll < 0) return line;
  }
  return weights[0]?.[0] ?? DEMO_LINES[0];
}

function seconds(since: number): number {
  return Math.round((Date.now() - since) / 1000);
}
