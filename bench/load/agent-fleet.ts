import { io, type Socket } from 'socket.io-client';
import { mapConcurrent } from '../common/bench-cli';
import type { CallLedger } from './call-ledger';

export interface FleetAgent {
  agentId: string;
  token: string;
}

interface OfferEvent {
  offerId: string;
  expiresAt?: string;
  contact?: { id?: string; callId?: string };
}
type AckReply = { ok: true; [key: string]: unknown } | { ok: false; error: string };

const ACK_TIMEOUT_MS = 15_000;

export interface FleetCounters {
  queueEvents: number;
  /** bytes of `queue` snapshots received (skimmed: counted, not parsed) */
  queueBytes: number;
  /** an offer that reached an agent still busy with another contact (capacity 1): should stay 0 */
  offersWhileBusy: number;
  disconnects: number;
  /** the server set an agent away (an offer expired on them); the agent sets itself available again */
  setAway: number;
}

/**
 * Agents' desktops at full speed: each is a socket.io-client on `<gateway>/agents` (websocket transport) that goes
 * available, accepts every offer the moment it arrives, and completes the contact after a think time of 0-5 ms.
 * What happened to each call is written to the current ledger.
 */
export class AgentFleet {
  readonly counters: FleetCounters = {
    queueEvents: 0,
    queueBytes: 0,
    offersWhileBusy: 0,
    disconnects: 0,
    setAway: 0,
  };
  private readonly sockets: Socket[] = [];
  private closing = false;

  constructor(
    private readonly gatewayUrl: string,
    private readonly agents: readonly FleetAgent[],
    private readonly ledger: () => CallLedger,
    private readonly thinkMaxMs = 5,
    /** the line's offerTimeoutSeconds, to tell from an offer's expiresAt when it was made */
    private readonly offerTimeoutMs = 20_000,
  ) {}

  get size(): number {
    return this.sockets.length;
  }

  /** Connects every agent; resolves when each has its session (the first `queue` snapshot). */
  async connect(concurrency = 50): Promise<void> {
    await mapConcurrent(this.agents, concurrency, (agent) => this.connectOne(agent));
  }

  async goAvailable(concurrency = 50): Promise<void> {
    await mapConcurrent(this.sockets, concurrency, async (socket) => {
      const reply = (await socket
        .timeout(ACK_TIMEOUT_MS)
        .emitWithAck('agent:status', { state: 'available' })) as AckReply;
      if (!reply.ok) throw new Error(`agent:status refused: ${reply.error}`);
    });
  }

  close(): void {
    this.closing = true;
    for (const socket of this.sockets) socket.disconnect();
    this.sockets.length = 0;
  }

  private connectOne(agent: FleetAgent): Promise<void> {
    const socket = io(`${this.gatewayUrl}/agents`, {
      auth: { token: agent.token },
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      autoConnect: false,
    });
    skimQueueSnapshots(socket, (bytes) => {
      this.counters.queueBytes += bytes;
    });
    let busy = false;
    socket.on('queue', () => {
      this.counters.queueEvents++;
    });
    socket.on('disconnect', () => {
      if (!this.closing) this.counters.disconnects++;
    });
    socket.on('offer:revoked', (payload: { offerId: string }) => {
      this.ledger().revoked(payload.offerId);
      busy = false;
    });
    // as a person would: told they were set away (an offer expired on them), they come back
    socket.on('agent:presence', (payload: { state?: string }) => {
      if (payload?.state !== 'away' || this.closing) return;
      this.counters.setAway++;
      busy = false;
      setTimeout(() => socket.emit('agent:status', { state: 'available' }, () => undefined), 100);
    });
    socket.on('offer', (offer: OfferEvent) => {
      const at = performance.now();
      const ledger = this.ledger();
      const contactId = offer.contact?.id ?? '';
      const expiresAt = offer.expiresAt ? Date.parse(offer.expiresAt) : NaN;
      const record = ledger.offered(offer.contact?.callId, {
        offerId: offer.offerId,
        agentId: agent.agentId,
        contactId,
        at,
        sinceMadeMs: Number.isFinite(expiresAt) ? Date.now() - (expiresAt - this.offerTimeoutMs) : undefined,
        revoked: false,
      });
      if (busy) this.counters.offersWhileBusy++;
      busy = true;
      if (record) record.acceptSentAt = performance.now();
      socket
        .timeout(ACK_TIMEOUT_MS)
        .emit('offer:accept', { offerId: offer.offerId }, (error: Error | null, reply?: AckReply) => {
          if (error || !reply?.ok) {
            record?.errors.push(
              `offer:accept: ${error?.message ?? (reply && !reply.ok ? reply.error : 'no reply')}`,
            );
            busy = false;
            return;
          }
          if (record) record.acceptedAt = performance.now();
          setTimeout(() => {
            socket
              .timeout(ACK_TIMEOUT_MS)
              .emit(
                'contact:complete',
                { contactId, resolution: 'resolved' },
                (failure: Error | null, done?: AckReply) => {
                  busy = false;
                  if (failure || !done?.ok) {
                    record?.errors.push(
                      `contact:complete: ${failure?.message ?? (done && !done.ok ? done.error : 'no reply')}`,
                    );
                    return;
                  }
                  if (record) record.completedAt = performance.now();
                },
              );
          }, Math.random() * this.thinkMaxMs);
        });
    });
    this.sockets.push(socket);
    socket.connect();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`agent ${agent.agentId} got no session within 30 s`)),
        30_000,
      );
      socket.once('connect_error', (error: Error) => {
        clearTimeout(timer);
        reject(new Error(`agent ${agent.agentId} refused: ${error.message}`));
      });
      socket.once('queue', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

const QUEUE_PACKET = '2/agents,["queue",';

/**
 * Every simulated desktop gets every `queue` snapshot (up to 200 waiting contacts, to each agent, several times a
 * second); real desktops parse them on their own CPUs, but here one process would parse them for 200-1,000 agents and
 * take the CPU Tether is being measured with. So snapshots are skimmed: counted with their size and delivered as a
 * `queue` event without their body, never JSON-parsed. This reaches into socket.io-client's decoder (pinned 4.8):
 * if its shape ever differs, snapshots are simply parsed as usual.
 */
function skimQueueSnapshots(socket: Socket, onSkimmed: (bytes: number) => void): void {
  const decoder = (socket.io as unknown as { decoder?: { add?: unknown; emitReserved?: unknown } }).decoder;
  if (!decoder || typeof decoder.add !== 'function' || typeof decoder.emitReserved !== 'function') return;
  const add = (decoder.add as (chunk: unknown) => void).bind(decoder);
  const emitDecoded = (decoder.emitReserved as (event: string, packet: unknown) => void).bind(decoder);
  decoder.add = (chunk: unknown): void => {
    if (typeof chunk === 'string' && chunk.startsWith(QUEUE_PACKET)) {
      onSkimmed(chunk.length);
      emitDecoded('decoded', { type: 2, nsp: '/agents', data: ['queue', { skimmed: true }] });
      return;
    }
    add(chunk);
  };
}
