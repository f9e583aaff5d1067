import { expect } from '@jest/globals';
import { createHmac } from 'node:crypto';
import {
  AdminClient,
  AgentClient,
  CallbackReceiver,
  type Tether,
  type TetherAppProcess,
  TelephonyClient,
  TestFloor,
  isValidTetherSignature,
  startTether,
  uniqueCallId,
  uniquePhone,
} from '@tether/testing';

const OLD_WEBHOOK_SECRET = 'rotation-old-webhook-secret-6f2a9c41d8';
const OLD_JWT_SECRET = 'rotation-old-jwt-secret-3e8b1d7f5a2c9e4b60';
const NEW_JWT_SECRET = 'rotation-new-jwt-secret-9a4c2e7b1f5d8a3c27';

function headerOf(token: string): { alg?: string; kid?: string } {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as {
    alg?: string;
    kid?: string;
  };
}

/** A token with the given header and another token's claims, signed with `secret` (HS256), by hand. */
function forged(header: object, claimsFrom: string, secret: string): string {
  const head = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${claimsFrom.split('.')[1]}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/**
 * Rotating the webhook secret and the agent-token signing secret without downtime: while a `_PREVIOUS` secret is
 * set, what was signed with it is still accepted; new signatures use the current secret only; once it is unset,
 * the old one is refused. One system on one database: processes in the middle of a rotation (previous secrets set),
 * processes that finished it (unset), and an admin that has not started it (still signing with the old key).
 */
describe('secret rotation', () => {
  let tether: Tether;
  let floor: TestFloor;
  let receiver: CallbackReceiver;
  let finishedSales: TetherAppProcess;
  let finishedGateway: TetherAppProcess;
  let oldAdmin: AdminClient;

  beforeAll(async () => {
    receiver = await CallbackReceiver.start();
    // the current webhook secret stays the harness's (tether.webhookSecret), the old one is the previous
    tether = await startTether({
      apps: ['admin', 'sales', 'gateway'],
      env: {
        TETHER_WEBHOOK_SECRET_PREVIOUS: OLD_WEBHOOK_SECRET,
        TETHER_JWT_SECRET: NEW_JWT_SECRET,
        TETHER_JWT_SECRET_PREVIOUS: OLD_JWT_SECRET,
        TETHER_TELEPHONY_CALLBACK_URL: receiver.url,
      },
    });
    // an empty value is an unset variable
    [finishedSales, finishedGateway] = await Promise.all([
      tether.startApp('sales', { TETHER_WEBHOOK_SECRET_PREVIOUS: '' }),
      tether.startApp('gateway', { TETHER_JWT_SECRET_PREVIOUS: '' }),
    ]);
    const notRotated = await tether.startApp('admin', {
      TETHER_JWT_SECRET: OLD_JWT_SECRET,
      TETHER_JWT_SECRET_PREVIOUS: '',
    });
    oldAdmin = new AdminClient(notRotated.url, tether.adminToken);
    floor = new TestFloor(tether);
  }, 120_000);
  afterEach(() => floor?.clear());
  afterAll(async () => {
    await tether?.stop();
    await receiver?.close();
  });

  const call = () => ({ callId: uniqueCallId(), from: uniquePhone(), to: '+15550000001' });

  describe('the webhook secret', () => {
    it('a webhook signed with the previous secret is accepted while it is set, refused once it is unset', async () => {
      const rotating = tether.urls.sales;
      const signedOld = new TelephonyClient(rotating, OLD_WEBHOOK_SECRET);
      const signedCurrent = new TelephonyClient(rotating, tether.webhookSecret);
      const signedOther = new TelephonyClient(rotating, 'rotation-unrelated-secret-5d1e8a');
      expect((await signedOld.postCall(call())).status).toBe(201);
      expect((await signedCurrent.postCall(call())).status).toBe(201);
      expect((await signedOther.postCall(call())).status).toBe(401);

      const finishedOld = new TelephonyClient(finishedSales.url, OLD_WEBHOOK_SECRET);
      const finishedCurrent = new TelephonyClient(finishedSales.url, tether.webhookSecret);
      const refused = await finishedOld.postCall(call());
      expect(refused.status).toBe(401);
      expect(refused.text).toMatch(/signature/);
      expect((await finishedCurrent.postCall(call())).status).toBe(201);

      for (const client of [signedOld, signedCurrent, finishedCurrent])
        for (const callId of client.callIds) await signedCurrent.hangup(callId);
    });

    it('Tether signs its own callbacks with the current secret only', async () => {
      const agent = await floor.agent({ lines: ['sales'] });
      const { contactId } = await floor.call('sales');
      const offer = await agent.nextOffer();
      expect(await agent.accept(offer.offerId)).toMatchObject({ ok: true });
      const callback = await receiver.next({
        matching: (c) => (c.body as { contactId?: string }).contactId === contactId,
        timeoutMs: 5_000,
      });
      const signature = String(callback.headers['x-tether-signature']);
      const { method, path } = callback;
      expect(isValidTetherSignature(tether.webhookSecret, signature, method, path, callback.rawBody)).toBe(
        true,
      );
      expect(isValidTetherSignature(OLD_WEBHOOK_SECRET, signature, method, path, callback.rawBody)).toBe(
        false,
      );
    });
  });

  describe('the agent-token signing secret', () => {
    it('tokens name their key (kid); the previous key is accepted while set, refused once it is unset', async () => {
      const agentId = (await tether.admin().createAgent({ name: 'Rotating', lines: ['sales'] })).id;
      const current = await tether.admin().issueToken(agentId);
      const old = await oldAdmin.issueToken(agentId);
      expect(headerOf(current)).toMatchObject({ alg: 'HS256', kid: expect.any(String) });
      expect(headerOf(old).kid).toEqual(expect.any(String));
      expect(headerOf(old).kid).not.toBe(headerOf(current).kid);

      const rotating = [tether.agent(current, agentId), tether.agent(old, agentId)];
      for (const client of rotating) await client.connect();
      const finishedNew = new AgentClient(finishedGateway.url, current, agentId);
      await finishedNew.connect();
      const finishedOld = new AgentClient(finishedGateway.url, old, agentId);
      await expect(finishedOld.connect()).rejects.toThrow(/unknown signing key/);
      for (const client of [...rotating, finishedNew, finishedOld]) client.close();
    });

    it('refuses a key id that names no key, and a token whose kid names another key than the one that signed it', async () => {
      const agentId = (await tether.admin().createAgent({ name: 'Forged', lines: ['sales'] })).id;
      const current = await tether.admin().issueToken(agentId);
      const kid = headerOf(current).kid!;
      const cases: [string, string, RegExp][] = [
        [
          'an unknown kid',
          forged({ alg: 'HS256', typ: 'JWT', kid: 'no-such-key' }, current, NEW_JWT_SECRET),
          /unknown signing key/,
        ],
        [
          'a kid that is not a string',
          forged({ alg: 'HS256', typ: 'JWT', kid: 7 }, current, NEW_JWT_SECRET),
          /unknown signing key/,
        ],
        [
          'the current kid, signed with the old key',
          forged({ alg: 'HS256', typ: 'JWT', kid }, current, OLD_JWT_SECRET),
          /invalid token/,
        ],
      ];
      for (const [label, token, why] of cases) {
        const client = tether.agent(token, `${agentId} (${label})`);
        await expect(client.connect()).rejects.toThrow(why);
        client.close();
      }
      // the control: the same claims under the right kid and key connect
      const control = tether.agent(
        forged({ alg: 'HS256', typ: 'JWT', kid }, current, NEW_JWT_SECRET),
        agentId,
      );
      await control.connect();
      control.close();
    });
  });
});
