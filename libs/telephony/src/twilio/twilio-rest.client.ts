import http from 'node:http';
import https from 'node:https';

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });
const TIMEOUT_MS = 4_000;

export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
  /** https://api.twilio.com, or a local stand-in in tests */
  apiBaseUrl: string;
}

/**
 * The two calls of Twilio's REST API Tether makes: update a live call with new TwiML (bridge it to an agent) and
 * create a call (dial a customer back). Form-encoded, HTTP basic auth with the account SID and auth token, over
 * keep-alive connections; a non-2xx answer rejects with its status (the outbox retries). The credentials and the
 * numbers are never logged here or by the callers.
 */
export class TwilioRestClient {
  constructor(private readonly credentials: TwilioCredentials) {}

  /** `POST /2010-04-01/Accounts/{sid}/Calls/{callSid}.json` with `Twiml`: the live call follows it at once. */
  updateCall(callSid: string, twiml: string): Promise<void> {
    return this.post(`Calls/${encodeURIComponent(callSid)}.json`, { Twiml: twiml });
  }

  /** `POST /2010-04-01/Accounts/{sid}/Calls.json`: an outbound call that runs `twiml` once answered. */
  createCall(call: { to: string; from: string; twiml: string; statusCallback?: string }): Promise<void> {
    return this.post('Calls.json', {
      To: call.to,
      From: call.from,
      Twiml: call.twiml,
      ...(call.statusCallback
        ? {
            StatusCallback: call.statusCallback,
            StatusCallbackMethod: 'POST',
            StatusCallbackEvent: 'answered completed',
          }
        : {}),
    });
  }

  private post(resource: string, fields: Record<string, string>): Promise<void> {
    const { accountSid, authToken, apiBaseUrl } = this.credentials;
    const target = new URL(`${apiBaseUrl}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/${resource}`);
    const raw = new URLSearchParams(fields).toString();
    const secure = target.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const request = (secure ? https : http).request(
        target,
        {
          method: 'POST',
          agent: secure ? httpsAgent : httpAgent,
          headers: {
            authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(raw),
          },
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new Error(`Twilio answered ${status}`));
          });
          response.on('error', reject);
        },
      );
      const timer = setTimeout(
        () => request.destroy(new Error(`Twilio: no answer within ${TIMEOUT_MS} ms`)),
        TIMEOUT_MS,
      );
      request.on('close', () => clearTimeout(timer));
      request.on('error', reject);
      request.end(raw);
    });
  }
}
