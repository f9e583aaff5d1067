/**
 * The durable floor: the bare transport (bare-transport.server.ts: node:http + socket.io, HMAC check, in-memory
 * queue and dispatch) plus the least any durable implementation must write per lifecycle, each statement
 * autocommitted with synchronous commit on the PostgreSQL server the bench uses:
 *
 *   - the webhook is answered only after `INSERT` of the contact (its provider call id unique: a retried webhook
 *     finds the existing row instead of a second contact);
 *   - `offer:accept` is a conditional `UPDATE ... WHERE status = 'queued'`: of two accepts of one contact exactly
 *     one wins, and only the winner's ack says ok (and the callback goes out);
 *   - `contact:complete` is an `UPDATE` of the contact to ended.
 *
 * Named (prepared) statements over a pool of 10: no parse and plan per statement, the cheapest way to send them.
 * No Nest, no ORM, no routing rules, no timers. Started as its own process by the shipped part:
 *   node dist/bench/durable/durable-floor.server.js --port <port> [--callback-url <url>]
 * with BARE_WEBHOOK_SECRET and DATABASE_URL in the environment. Prints "listening <port>" when ready.
 */
import { randomUUID } from 'node:crypto';
import { Agent, createServer, IncomingMessage, request, ServerResponse } from 'node:http';
import { Pool } from 'pg';
import { Server, type Socket } from 'socket.io';
import { BenchArgs } from '../common/bench-cli';
import { signTether, verifyTether } from '../common/tether-signature';

interface WaitingCall {
  contactId: string;
  callId: string;
  ivr?: unknown;
  enqueuedAt: number;
}

const args = new BenchArgs();
const port = args.number('port', 0);
const callbackUrl = args.string('callback-url');
const secret = process.env.BARE_WEBHOOK_SECRET ?? '';
if (secret.length < 16) throw new Error('BARE_WEBHOOK_SECRET (>= 16 characters) is required');
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is required');

const pool = new Pool({
  connectionString: databaseUrl,
  max: 10,
  application_name: 'durable-floor',
  options: '-c synchronous_commit=on',
});
pool.on('error', () => undefined);

const SCHEMA = `CREATE TABLE IF NOT EXISTS durable_contacts (
  id uuid PRIMARY KEY,
  call_id text NOT NULL UNIQUE,
  from_number text NOT NULL,
  to_number text NOT NULL,
  ivr jsonb,
  status text NOT NULL,
  agent_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  connected_at timestamptz,
  completed_at timestamptz
)`;
const INSERT_CONTACT = {
  name: 'durable_insert_contact',
  text: `INSERT INTO durable_contacts (id, call_id, from_number, to_number, ivr, status)
         VALUES ($1, $2, $3, $4, $5, 'queued')
         ON CONFLICT (call_id) DO UPDATE SET call_id = EXCLUDED.call_id RETURNING id`,
};
const ACCEPT = {
  name: 'durable_accept',
  text: `UPDATE durable_contacts SET status = 'connected', agent_id = $2, connected_at = now()
         WHERE id = $1 AND status = 'queued'`,
};
const COMPLETE = {
  name: 'durable_complete',
  text: `UPDATE durable_contacts SET status = 'ended', completed_at = now() WHERE id = $1 AND agent_id = $2`,
};

const callbackAgent = new Agent({ keepAlive: true, maxSockets: 64 });
const waiting: WaitingCall[] = [];
const idle: Socket[] = [];
const pending = new Map<string, { call: WaitingCall; socket: Socket }>();
/** what GET /v1/telephony/calls/{callId} answers (the lifecycle's load generator asks about calls it never saw offered) */
const statusOf = new Map<string, 'queued' | 'offered' | 'connected' | 'ended'>();
let snapshotQueued = false;

const http = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  if (req.method === 'POST' && req.url === '/v1/telephony/calls') {
    readBody(req, (raw) => receiveCall(raw, req, res));
    return;
  }
  const get = /^\/v1\/telephony\/calls\/([^/]+)$/.exec(req.url ?? '');
  if (req.method === 'GET' && get) {
    const status = statusOf.get(decodeURIComponent(get[1]));
    if (status) reply(res, 200, { status });
    else reply(res, 404, { statusCode: 404, message: 'Call not found' });
    return;
  }
  res.writeHead(404).end();
});
http.keepAliveTimeout = 30_000;

const io = new Server(http, { maxHttpBufferSize: 64 * 1024, cors: { origin: true } });
const agents = io.of('/agents');
agents.use((socket, next) => {
  const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
  if (typeof token === 'string' && token.length > 0) next();
  else next(new Error('missing token: pass auth: { token }'));
});
agents.on('connection', (socket) => {
  const agentId = String((socket.handshake.auth as { token: string }).token);
  void socket.join([`agent:${agentId}`, 'lines:sales']);
  socket.emit('queue', snapshot());
  socket.on('agent:status', (payload: { state?: string }, ack?: (reply: unknown) => void) => {
    if (payload?.state === 'available') becomeIdle(socket);
    else removeIdle(socket);
    ack?.({ ok: true, state: payload?.state });
  });
  socket.on('offer:accept', (payload: { offerId?: string }, ack?: (reply: unknown) => void) => {
    const offer = pending.get(payload?.offerId ?? '');
    if (!offer || offer.socket !== socket) {
      ack?.({ ok: false, error: 'offer not found' });
      return;
    }
    pending.delete(payload.offerId!);
    pool.query({ ...ACCEPT, values: [offer.call.contactId, agentId] }).then(
      (result) => {
        if (result.rowCount !== 1) {
          ack?.({ ok: false, error: 'offer no longer valid' });
          return;
        }
        statusOf.set(offer.call.callId, 'connected');
        ack?.({ ok: true, contactId: offer.call.contactId });
        postCallback({
          event: 'contact.connected',
          callId: offer.call.callId,
          contactId: offer.call.contactId,
          agentId,
        });
      },
      (error: Error) => ack?.({ ok: false, error: error.message }),
    );
  });
  socket.on('contact:complete', (payload: { contactId?: string }, ack?: (reply: unknown) => void) => {
    pool.query({ ...COMPLETE, values: [payload?.contactId, agentId] }).then(
      () => {
        ack?.({ ok: true, contactId: payload?.contactId, wrapUpUntil: null });
        becomeIdle(socket);
      },
      (error: Error) => ack?.({ ok: false, error: error.message }),
    );
  });
  socket.on('disconnect', () => removeIdle(socket));
});

function readBody(req: IncomingMessage, done: (raw: string) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const raw = JSON.stringify(body);
  res
    .writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(raw) })
    .end(raw);
}

function receiveCall(raw: string, req: IncomingMessage, res: ServerResponse): void {
  const header = req.headers['x-tether-signature'];
  if (
    !verifyTether(secret, Array.isArray(header) ? header[0] : header, req.method ?? '', req.url ?? '', raw)
  ) {
    reply(res, 401, { statusCode: 401, error: 'invalid_signature' });
    return;
  }
  let body: { callId?: unknown; from?: unknown; to?: unknown; ivr?: unknown };
  try {
    body = JSON.parse(raw) as typeof body;
  } catch {
    reply(res, 400, { statusCode: 400, message: 'body is not JSON' });
    return;
  }
  for (const field of ['callId', 'from', 'to'] as const) {
    if (typeof body[field] !== 'string' || body[field] === '') {
      reply(res, 400, { statusCode: 400, message: `${field} must be a non-empty string` });
      return;
    }
  }
  const values = [randomUUID(), body.callId, body.from, body.to, body.ivr === undefined ? null : body.ivr];
  pool.query<{ id: string }>({ ...INSERT_CONTACT, values }).then(
    (result) => queueCall(res, result.rows[0].id, body),
    (error: Error) => reply(res, 503, { statusCode: 503, message: error.message }),
  );
}

function queueCall(res: ServerResponse, contactId: string, body: { callId?: unknown; ivr?: unknown }): void {
  const call: WaitingCall = {
    contactId,
    callId: body.callId as string,
    ivr: body.ivr,
    enqueuedAt: Date.now(),
  };
  waiting.push(call);
  statusOf.set(call.callId, 'queued');
  reply(res, 201, {
    contactId: call.contactId,
    status: 'queued',
    customer: { id: randomUUID(), known: false },
    announcement: null,
    queuePosition: waiting.length,
    estimatedWaitSeconds: 0,
  });
  dispatch();
}

function becomeIdle(socket: Socket): void {
  if (!idle.includes(socket)) idle.push(socket);
  dispatch();
}

function removeIdle(socket: Socket): void {
  const index = idle.indexOf(socket);
  if (index >= 0) idle.splice(index, 1);
}

/** Longest-idle agent first, oldest call first; a call nobody can take makes the lines room's snapshot change. */
function dispatch(): void {
  while (waiting.length > 0 && idle.length > 0) {
    const socket = idle.shift()!;
    if (!socket.connected) continue;
    const call = waiting.shift()!;
    const offerId = randomUUID();
    pending.set(offerId, { call, socket });
    statusOf.set(call.callId, 'offered');
    socket.emit('offer', {
      offerId,
      expiresAt: new Date(Date.now() + 20_000).toISOString(),
      reason: 'skills',
      contact: { id: call.contactId, line: 'sales', channel: 'voice', callId: call.callId, ivr: call.ivr },
      customer: { id: randomUUID(), known: false },
    });
  }
  if (waiting.length > 0 && !snapshotQueued) {
    snapshotQueued = true;
    setImmediate(() => {
      snapshotQueued = false;
      agents.to('lines:sales').emit('queue', snapshot());
    });
  }
}

function snapshot(): { waiting: unknown[] } {
  const now = Date.now();
  return {
    waiting: waiting.slice(0, 200).map((call) => ({
      contactId: call.contactId,
      line: 'sales',
      channel: 'voice',
      priority: 0,
      waitingSeconds: Math.floor((now - call.enqueuedAt) / 1000),
    })),
  };
}

function postCallback(event: Record<string, string>): void {
  if (!callbackUrl) return;
  const raw = JSON.stringify(event);
  const url = new URL(callbackUrl);
  const req = request({
    agent: callbackAgent,
    method: 'POST',
    hostname: url.hostname,
    port: url.port,
    path: `${url.pathname}${url.search}`,
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(raw),
      'x-tether-signature': signTether(secret, 'POST', `${url.pathname}${url.search}`, raw),
    },
  });
  req.on('response', (res) => res.resume());
  req.on('error', () => undefined);
  req.end(raw);
}

void pool.query(SCHEMA).then(() =>
  http.listen(port, '127.0.0.1', () => {
    const address = http.address();
    console.log(`listening ${typeof address === 'object' && address ? address.port : port}`);
  }),
);
process.on('SIGTERM', () => {
  void io.close();
  http.close(() => void pool.end().finally(() => process.exit(0)));
  setTimeout(() => process.exit(0), 2_000).unref();
});
