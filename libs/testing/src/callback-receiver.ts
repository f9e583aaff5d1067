import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { EventBuffer } from './event-buffer';

/** where the receiver listens (TETHER_TELEPHONY_CALLBACK_URL's path and query) */
export const CALLBACK_PATH = '/telephony/callbacks?tenant=e2e';

export interface ReceivedCallback {
  /** the method and request target (path and query) as received: the v2 signature covers both */
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** exactly the bytes received: signatures are over the raw body */
  rawBody: string;
  body: unknown;
  /** what we answered */
  answeredStatus: number;
  receivedAt: number;
}

/**
 * Stands in for the telephony platform's callback endpoint (TETHER_TELEPHONY_CALLBACK_URL): records every POST
 * and answers 204, or 500 while failures are armed, so a test can watch Tether retry.
 */
export class CallbackReceiver {
  readonly received: EventBuffer<ReceivedCallback> = new EventBuffer('a telephony callback');
  private readonly server: Server;
  private failuresLeft: number;
  private port = 0;

  private constructor(failFirst: number) {
    this.failuresLeft = failFirst;
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () =>
        this.record(
          { method: request.method ?? '', path: request.url ?? '', headers: request.headers },
          Buffer.concat(chunks).toString('utf8'),
          response,
        ),
      );
    });
  }

  /** Listens on a free port of 127.0.0.1; the first `failFirst` requests get a 500. */
  static async start(options: { failFirst?: number } = {}): Promise<CallbackReceiver> {
    const receiver = new CallbackReceiver(options.failFirst ?? 0);
    await new Promise<void>((resolve, reject) => {
      receiver.server.once('error', reject);
      receiver.server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = receiver.server.address();
    if (address === null || typeof address === 'string') throw new Error('CallbackReceiver: no TCP address');
    receiver.port = address.port;
    return receiver;
  }

  /**
   * What to set TETHER_TELEPHONY_CALLBACK_URL to. It has a query string so a test can check the signature covers
   * the callback URL's whole request target, path and query.
   */
  get url(): string {
    return `http://127.0.0.1:${this.port}${CALLBACK_PATH}`;
  }

  /** Answer 500 to the next `count` requests. */
  failNext(count: number): void {
    this.failuresLeft = count;
  }

  /** The next request (answered successfully or not), optionally the next matching one. */
  next(
    options: { matching?: (callback: ReceivedCallback) => boolean; timeoutMs?: number } = {},
  ): Promise<ReceivedCallback> {
    return this.received.take(options);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private record(
    request: Pick<ReceivedCallback, 'method' | 'path' | 'headers'>,
    rawBody: string,
    response: ServerResponse,
  ): void {
    const answeredStatus = this.failuresLeft > 0 ? 500 : 204;
    if (this.failuresLeft > 0) this.failuresLeft--;
    let body: unknown = rawBody;
    try {
      body = JSON.parse(rawBody) as unknown;
    } catch {
      /* keep the raw text: the test will say it is not JSON */
    }
    this.received.push({ ...request, rawBody, body, answeredStatus, receivedAt: Date.now() });
    response.writeHead(answeredStatus).end();
  }
}
