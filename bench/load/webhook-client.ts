import { Agent, request } from 'node:http';
import { signTether } from '../common/tether-signature';

export interface WebhookResponse {
  status: number;
  body: string;
  at: number;
}

/**
 * The telephony platform's side of POST /v1/telephony/calls: signed requests over keep-alive connections (as a
 * real platform keeps them), with as many connections as outstanding requests need, so the generator never
 * queues requests behind each other and an open-loop rate stays open-loop.
 */
export class WebhookClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1024, maxFreeSockets: 256 });
  private readonly url: URL;

  constructor(
    lineUrl: string,
    private readonly secret: string,
  ) {
    this.url = new URL('/v1/telephony/calls', lineUrl);
  }

  post(body: unknown, done: (response: WebhookResponse) => void): void {
    const raw = JSON.stringify(body);
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
          'x-tether-signature': signTether(this.secret, 'POST', this.url.pathname, raw),
        },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          done({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            at: performance.now(),
          }),
        );
        res.on('error', () => done({ status: 0, body: 'response error', at: performance.now() }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => done({ status: 0, body: error.message, at: performance.now() }));
    req.end(raw);
  }

  /** GET /v1/telephony/calls/{callId} (signed: GET, its path, an empty body): the call's status as the server sees it. */
  async callStatus(callId: string): Promise<string> {
    const url = new URL(`/v1/telephony/calls/${encodeURIComponent(callId)}`, this.url);
    const response = await fetch(url, {
      headers: { 'x-tether-signature': signTether(this.secret, 'GET', `${url.pathname}${url.search}`, '') },
      signal: AbortSignal.timeout(30_000),
    });
    if (response.status === 404) return 'unknown';
    if (!response.ok) return `error ${response.status}`;
    return ((await response.json()) as { status?: string }).status ?? 'unknown';
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Open loop: request i is due at start + i/rate whatever happened to the earlier ones. `send` is called with the
 * time the request was due; a late tick sends every overdue request at once (the lag is reported, not hidden).
 */
export function openLoop(
  rate: number,
  durationMs: number,
  send: (seq: number, dueAt: number) => void,
): Promise<number[]> {
  const total = Math.round((rate * durationMs) / 1000);
  const start = performance.now();
  const lags: number[] = [];
  let next = 0;
  return new Promise((done) => {
    const tick = (): void => {
      const now = performance.now();
      while (next < total && start + (next * 1000) / rate <= now) {
        const dueAt = start + (next * 1000) / rate;
        lags.push(now - dueAt);
        send(next++, dueAt);
      }
      if (next >= total) {
        done(lags);
        return;
      }
      setTimeout(tick, Math.max(0, start + (next * 1000) / rate - performance.now() - 0.5));
    };
    tick();
  });
}
