import { parseArgs } from 'node:util';
import { AgentClient } from './agent-client';

/**
 * `npm run example:agent -- --token <agent token> [--gateway http://localhost:3005] [--talk-seconds 5]`
 *
 * An agent who takes every offer, talks for a while, completes the contact as resolved and waits for the next one.
 * Ctrl-C goes offline and leaves (a contact in hand is completed first).
 */
const { values } = parseArgs({
  options: {
    token: { type: 'string' },
    gateway: { type: 'string', default: process.env.TETHER_GATEWAY_URL ?? 'http://localhost:3005' },
    'talk-seconds': { type: 'string', default: '5' },
  },
});
const token = values.token ?? process.env.TETHER_AGENT_TOKEN;
if (!token) {
  console.error('usage: npm run example:agent -- --token <agent token> [--gateway URL] [--talk-seconds N]');
  console.error('  an agent token comes from: POST /v1/agents/{agentId}/tokens (admin token)');
  process.exit(2);
}
const talkMs = Number(values['talk-seconds']) * 1000;
if (!Number.isFinite(talkMs) || talkMs < 0) {
  console.error('--talk-seconds must be a number of seconds');
  process.exit(2);
}

const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
const agent = new AgentClient({ gatewayUrl: values.gateway, token });
/** contacts accepted and not yet completed, with the timer that completes each */
const inHand = new Map<string, NodeJS.Timeout>();

const completeLater = (contactId: string, afterMs: number) => {
  clearTimeout(inHand.get(contactId));
  inHand.set(
    contactId,
    setTimeout(() => void complete(contactId), afterMs),
  );
};
async function complete(contactId: string): Promise<void> {
  clearTimeout(inHand.get(contactId));
  const ack = await agent.complete(contactId, 'resolved', 'handled by the example agent client');
  inHand.delete(contactId);
  log(ack.ok ? `completed ${contactId}` : `could not complete ${contactId}: ${ack.error}`);
}

agent
  .onReady((reconnected) => log(reconnected ? 'reconnected, available again' : 'connected, available'))
  .onDisconnect((reason) =>
    log(
      reason === 'io client disconnect'
        ? 'signed out'
        : `disconnected (${reason}); reconnecting with backoff`,
    ),
  )
  .onFatal((reason) => {
    console.error(`refused: ${reason}`);
    process.exit(1);
  })
  .on('offer', (offer) => {
    log(`offer ${offer.offerId} (${offer.reason}) for contact ${offer.contact.id} on ${offer.contact.line}`);
    agent.accept(offer.offerId).then(
      (ack) => {
        if (!ack.ok) return log(`accept refused: ${ack.error}`);
        log(`accepted contact ${ack.contactId}; talking for ${talkMs / 1000} s`);
        completeLater(ack.contactId, talkMs);
      },
      (error: Error) => log(`accept not acknowledged: ${error.message}`),
    );
  })
  // after a reconnect the server re-sends the contacts still in hand: finish them
  .on('contact:connected', (held) => {
    if (!inHand.has(held.contact.id)) completeLater(held.contact.id, talkMs);
  })
  .on('contact:ended', (ended) => log(`caller left contact ${ended.contactId} (${ended.reason})`))
  .on('offer:revoked', (revoked) => log(`offer ${revoked.offerId} revoked (${revoked.reason})`))
  .on('agent:presence', (presence) => {
    log(`server set presence ${presence.state} (${presence.reason})`);
    // an expired offer sets the agent away: this example agent is always at its desk
    if (presence.state === 'away') void agent.setStatus('available').catch(() => undefined);
  });
agent.connect();

let stoppingSince = 0;
process.on('SIGINT', () => {
  // under `npm run`, one Ctrl-C arrives twice (from the terminal, and forwarded by npm): a second one within a
  // second is the same; a later one means "now"
  if (stoppingSince && Date.now() - stoppingSince > 1_000) process.exit(130);
  if (stoppingSince) return;
  stoppingSince = Date.now();
  log('leaving: completing what is in hand, going offline');
  void Promise.allSettled([...inHand.keys()].map((contactId) => complete(contactId)))
    .then(() => agent.close())
    .then(() => process.exit(0));
});
