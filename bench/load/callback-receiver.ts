import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { verifyTether } from '../common/tether-signature';
import type { CallLedger } from './call-ledger';

/**
 * The telephony platform's end of `contact.connected`: checks the signature (v2: POST, the request target as
 * received, the body), notes when the callback for each
 * call arrived, answers 200 at once (a slow receiver would only measure itself).
 */
export class CallbackReceiver {
  private readonly server: Server;

  constructor(
    /** the secret callbacks are signed with; a part that starts Tether as shipped sets the one Tether generated */
    public secret: string,
    private readonly ledger: () => CallLedger,
  ) {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
  }

  listen(port = 0): Promise<string> {
    return new Promise((done, fail) => {
      this.server.once('error', fail);
      this.server.listen(port, '127.0.0.1', () => {
        const address = this.server.address();
        done(
          `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/telephony/events`,
        );
      });
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((done) => this.server.close(() => done()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = performance.now();
      const raw = Buffer.concat(chunks).toString('utf8');
      const ledger = this.ledger();
      const header = req.headers['x-tether-signature'];
      const signature = Array.isArray(header) ? header[0] : header;
      if (!verifyTether(this.secret, signature, req.method ?? '', req.url ?? '', raw)) {
        ledger.badCallbackSignatures++;
        res.writeHead(401).end();
        return;
      }
      try {
        const body = JSON.parse(raw) as { event?: string; callId?: string };
        if (body.event === 'contact.connected' && typeof body.callId === 'string')
          ledger.callback(body.callId, at);
      } catch {
        ledger.strays++;
      }
      res.writeHead(200, { 'content-length': '0' }).end();
    });
  }
}
