/**
 * Messages per second through Tether with 1,000 agents holding 3 chats each. One Tether process
 * (apps/standalone) over the PostgreSQL the runner provisioned, on a fresh database, with TETHER_CHANNEL_URL set to a
 * local receiver (every agent reply is delivered there, signed, in order per conversation).
 *
 *   0. set-up (not measured): 1,000 agents (chat capacity 3) connect and go available; 3,000 conversations open
 *      (POST /v1/messages, first message) and are offered and accepted, 3 per agent.
 *   1. steps: customers write at R messages/s (open loop, a random conversation each, POST /v1/messages: appended
 *      to the live contact), and the agent holding it answers each message at once (`message:send`). Per step:
 *      inbound accepted/s, replies stored/s and delivered/s (the receiver), latency of the intake's answer, of the
 *      agent's `message` event after the POST, of the reply's ack, Tether's and the machine's CPU, load average.
 *
 * Run through `npm run bench -- messages` (only when named). Options: --agents 1000, --chats 3, --rates 100,200,400,
 * --step-seconds 10, --drain-seconds 5.
 */
import { createServer, type Server } from 'node:http';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { BenchArgs, header, mapConcurrent, serverDatabaseUrl, sleep, writeJson } from '../common/bench-cli';
import { runBench } from '../common/bench-main';
import { BenchDatabase } from '../common/bench-database';
import { CpuMeter, MachineCpuMeter } from '../common/proc-stats';
import { fmt, printTable, round, summarize, type LatencySummary } from '../common/stats';
import { BENCH_SECRETS, createAgents, startStandalone } from '../common/tether-processes';
import { signTether, verifyTether } from '../common/tether-signature';
import { openLoop } from '../load/webhook-client';

const args = new BenchArgs();
const AGENTS = args.number('agents', 1000);
const CHATS = args.number('chats', 3);
const RATES = args.numbers('rates', [100, 200, 400]);
const STEP_SECONDS = args.number('step-seconds', 10);
const DRAIN_SECONDS = args.number('drain-seconds', 5);

type AckReply = { ok: true; [key: string]: unknown } | { ok: false; error: string };

interface Conversation {
  id: string;
  from: string;
  contactId?: string;
  socket?: Socket;
}

interface StepResult {
  rate: number;
  seconds: number;
  inboundPerSecond: number;
  inboundErrors: number;
  repliesStoredPerSecond: number;
  repliesDeliveredPerSecond: number;
  messagesPerSecond: number;
  intakeMs: LatencySummary;
  toAgentMs: LatencySummary;
  replyAckMs: LatencySummary;
  tetherCpuPercent: number;
  machineCpuPercent: number;
  loadAverage1m: number;
  sustained: boolean;
}

/** The platform's end of TETHER_CHANNEL_URL: checks the signature, counts, answers 204 at once. */
class ChannelReceiver {
  delivered = 0;
  badSignatures = 0;
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const signature = req.headers['x-tether-signature'];
      if (
        !verifyTether(BENCH_SECRETS.webhookSecret, signature as string, req.method ?? '', req.url ?? '', raw)
      )
        this.badSignatures++;
      else this.delivered++;
      res.writeHead(204).end();
    });
  });

  listen(): Promise<string> {
    return new Promise((done) =>
      this.server.listen(0, '127.0.0.1', () => {
        const address = this.server.address();
        done(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/channel`);
      }),
    );
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }
}

/** POST /v1/messages on a line app, signed, over keep-alive connections. */
class MessageClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 512 });
  private readonly url: URL;

  constructor(lineUrl: string) {
    this.url = new URL('/v1/messages', lineUrl);
  }

  post(body: unknown): Promise<{ status: number; body: string }> {
    const raw = JSON.stringify(body);
    return new Promise((done) => {
      const req = request(
        {
          agent: this.agent,
          method: 'POST',
          hostname: this.url.hostname,
          port: this.url.port,
          path: this.url.pathname,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(raw),
            'x-tether-signature': signTether(BENCH_SECRETS.webhookSecret, 'POST', this.url.pathname, raw),
          },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error) => done({ status: 0, body: error.message }));
      req.end(raw);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

async function main(): Promise<void> {
  header(`messages: ${AGENTS} agents x ${CHATS} chats, rates ${RATES.join(', ')}/s, ${STEP_SECONDS} s each`);
  const database = await BenchDatabase.create(serverDatabaseUrl(), 'tether_bench_messages');
  await database.migrate();
  const receiver = new ChannelReceiver();
  const channelUrl = await receiver.listen();
  const dataDir = mkdtempSync(join(tmpdir(), 'tether-bench-messages-'));
  const tether = await startStandalone({
    databaseUrl: database.url,
    dataDir,
    extraEnv: {
      TETHER_CHANNEL_URL: channelUrl,
      TETHER_CONVERSATION_IDLE_SECONDS: '3600',
    },
  });
  const client = new MessageClient(tether.serviceUrl!);
  const sockets: Socket[] = [];
  const pending = new Map<string, number>(); // messageId -> POST time, until the agent's `message` event
  const toAgent: number[] = [];
  const replyAcks: number[] = [];
  let repliesStored = 0;
  let offersAccepted = 0;
  try {
    const agents = await createAgents(tether.adminUrl, AGENTS, {
      lines: ['service'],
      capacity: { chat: CHATS },
      concurrency: 16,
    });
    console.log(`${agents.length} agents created`);
    await mapConcurrent(agents, 50, async (agent) => {
      const socket = io(`${tether.gatewayUrl}/agents`, {
        auth: { token: agent.token },
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
      });
      sockets.push(socket);
      socket.on('offer', (offer: { offerId: string }) => {
        socket.emit('offer:accept', { offerId: offer.offerId }, (reply: AckReply) => {
          if (reply?.ok) offersAccepted++;
        });
      });
      // a customer wrote: the agent answers at once
      socket.on('message', (message: { contactId: string; text: string; direction: string }) => {
        if (message.direction !== 'in') return;
        const sentAt = pending.get(message.text);
        if (sentAt !== undefined) {
          toAgent.push(performance.now() - sentAt);
          pending.delete(message.text);
        }
        const at = performance.now();
        socket
          .timeout(15_000)
          .emit(
            'message:send',
            { contactId: message.contactId, text: 'Thanks, looking into it.' },
            (error: Error | null, reply?: AckReply) => {
              if (error || !reply?.ok) return;
              repliesStored++;
              replyAcks.push(performance.now() - at);
            },
          );
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('queue', () => resolve());
        socket.once('connect_error', reject);
      });
      const reply = (await socket
        .timeout(15_000)
        .emitWithAck('agent:status', { state: 'available' })) as AckReply;
      if (!reply.ok) throw new Error(`agent:status refused: ${reply.error}`);
    });
    console.log(`${sockets.length} agents connected and available`);

    const conversations: Conversation[] = Array.from({ length: AGENTS * CHATS }, (_, i) => ({
      id: `bench-conv-${i}`,
      from: `bench:user${i}`,
    }));
    const openedAt = performance.now();
    await mapConcurrent(conversations, 32, async (conversation) => {
      const answer = await client.post({
        channel: 'chat',
        conversationId: conversation.id,
        messageId: `${conversation.id}-0`,
        from: { handle: conversation.from },
        text: 'Hello, I need help.',
      });
      if (answer.status !== 201) throw new Error(`first message answered ${answer.status}: ${answer.body}`);
    });
    const deadline = Date.now() + 120_000;
    while (offersAccepted < conversations.length && Date.now() < deadline) await sleep(200);
    console.log(
      `${offersAccepted} of ${conversations.length} chats accepted in ${fmt((performance.now() - openedAt) / 1000)} s`,
    );
    await sleep(1_000);

    const results: StepResult[] = [];
    let seq = 0;
    for (const rate of RATES) {
      toAgent.length = 0;
      replyAcks.length = 0;
      pending.clear();
      const intake: number[] = [];
      let inbound = 0;
      let inboundErrors = 0;
      const storedBefore = repliesStored;
      const deliveredBefore = receiver.delivered;
      const cpu = new CpuMeter(() => [tether.process.pid]);
      const machine = new MachineCpuMeter();
      cpu.start();
      machine.start();
      const started = performance.now();
      const inFlight: Promise<void>[] = [];
      await openLoop(rate, STEP_SECONDS * 1000, () => {
        const conversation = conversations[Math.floor(Math.random() * conversations.length)];
        const text = `m${++seq}`;
        const at = performance.now();
        pending.set(text, at);
        inFlight.push(
          client
            .post({
              channel: 'chat',
              conversationId: conversation.id,
              messageId: `${conversation.id}-${seq}`,
              from: { handle: conversation.from },
              text,
            })
            .then((answer) => {
              if (answer.status === 200) {
                inbound++;
                intake.push(performance.now() - at);
              } else inboundErrors++;
            }),
        );
      });
      await Promise.all(inFlight);
      const elapsed = (performance.now() - started) / 1000;
      const tetherCpu = cpu.stop().cpuPercent;
      const machineCpu = machine.stop().cpuPercent;
      await sleep(DRAIN_SECONDS * 1000);
      const stored = repliesStored - storedBefore;
      const delivered = receiver.delivered - deliveredBefore;
      const result: StepResult = {
        rate,
        seconds: round(elapsed),
        inboundPerSecond: round(inbound / elapsed),
        inboundErrors,
        repliesStoredPerSecond: round(stored / elapsed),
        repliesDeliveredPerSecond: round(delivered / elapsed),
        messagesPerSecond: round((inbound + stored) / elapsed),
        intakeMs: summarize(intake),
        toAgentMs: summarize(toAgent),
        replyAckMs: summarize(replyAcks),
        tetherCpuPercent: tetherCpu,
        machineCpuPercent: machineCpu,
        loadAverage1m: round(loadavg()[0]),
        sustained:
          inboundErrors === 0 && inbound >= rate * STEP_SECONDS * 0.95 && delivered >= inbound * 0.95,
      };
      results.push(result);
      printTable([
        [
          'rate/s',
          'in/s',
          'replies/s',
          'delivered/s',
          'msgs/s',
          'intake p50/p99',
          'to agent p50/p99',
          'reply ack p50/p99',
          'tether CPU',
          'machine CPU',
          'load 1m',
        ],
        [
          String(rate),
          fmt(result.inboundPerSecond),
          fmt(result.repliesStoredPerSecond),
          fmt(result.repliesDeliveredPerSecond),
          fmt(result.messagesPerSecond),
          `${fmt(result.intakeMs.p50)}/${fmt(result.intakeMs.p99)} ms`,
          `${fmt(result.toAgentMs.p50)}/${fmt(result.toAgentMs.p99)} ms`,
          `${fmt(result.replyAckMs.p50)}/${fmt(result.replyAckMs.p99)} ms`,
          `${result.tetherCpuPercent}%`,
          `${result.machineCpuPercent}%`,
          fmt(result.loadAverage1m),
        ],
      ]);
      if (!result.sustained) {
        console.log(`${rate}/s not sustained: stopping the ramp`);
        break;
      }
    }
    writeJson(args.string('json'), {
      agents: AGENTS,
      chatsPerAgent: CHATS,
      chatsAccepted: offersAccepted,
      badSignatures: receiver.badSignatures,
      steps: results,
    });
  } finally {
    for (const socket of sockets) socket.disconnect();
    client.close();
    await tether.process.stop();
    await receiver.close();
    await database.drop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

runBench(main);
