import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { SecretsService } from '@tether/auth';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { normalizeEmail, normalizeHandle, normalizePhone } from '@tether/customers';
import { ValidationFailed } from '@tether/errors';
import { inTransaction, one, rows } from '@tether/persistence';
import { EventBus } from '@tether/realtime';
import { ArrivalDecision, Channel, CompiledRuleSet, Line } from '@tether/routing';
import { DueJob, DurableScheduler, OnJob, RetryJobLater } from '@tether/scheduler';
import { SIGNATURE_HEADER, postJson, signatureHeader } from '@tether/telephony';
import { ContactDispatcher } from './contact-dispatcher.service';
import { ContactNotAssignedToAgent } from './contact.errors';
import { ContactTrace } from './contact-trace';
import { customerFacts } from './customer-facts';
import { LineRoutingRepository } from './line-routing.repository';
import { releaseSlot } from './slot-release';
import type { ReceiveMessageOutcome } from './sql-outcomes';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DELIVERY_TIMEOUT_MS = 4_000;

export const MESSAGE_CHANNELS = ['chat', 'email', 'messenger', 'social'] as const;
export type MessageChannel = (typeof MESSAGE_CHANNELS)[number];

/** A message as the platform posts it (POST /v1/messages on a line app). */
export interface IncomingMessage {
  channel: MessageChannel;
  conversationId: string;
  messageId: string;
  from: { phone?: string; email?: string; handle?: string };
  text: string;
  attachments?: { url: string; name?: string; contentType?: string }[];
}

/** One message of a conversation, as agents see it. */
export interface ConversationMessage {
  id: string;
  seq: number;
  direction: 'in' | 'out';
  agentId: string | null;
  text: string | null;
  attachments: unknown[];
  /** @format date-time */
  at: string;
}

/**
 * Contacts on messaging channels (chat, e-mail, messenger, social). A conversation's first message opens a contact
 * routed by the same engine as a call (`tether_receive_message`); later messages join it and reach the agent who
 * holds it (`message` on their socket); the agent replies (`message:send`), and the replies of a conversation are
 * delivered to TETHER_CHANNEL_URL one at a time in order (`channel.deliver`: a reply is sent only once the one
 * before it was accepted, and marked delivered in the same statement that picks the next). A conversation with no
 * message for TETHER_CONVERSATION_IDLE_SECONDS ends its contact (`conversation.idle`).
 */
@Injectable()
export class ContactMessagingService {
  private readonly logger = new Logger(ContactMessagingService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
    private readonly rules: LineRoutingRepository,
    private readonly dispatcher: ContactDispatcher,
    private readonly scheduler: DurableScheduler,
    private readonly secrets: SecretsService,
    private readonly bus: EventBus,
  ) {}

  async receive(
    line: Line,
    message: IncomingMessage,
  ): Promise<{
    created: boolean;
    contactId: string;
    status: string;
    customer: { id: string; known: boolean };
  }> {
    const from = this.sender(message.from);
    let rules = await this.rules.cached(line);
    for (let attempt = 1; ; attempt++) {
      // the line's rules decide a new conversation's contact as they decide a call (no IVR: intents do not apply)
      const compiled = CompiledRuleSet.for(rules);
      const customer = compiled.needsCustomer
        ? await customerFacts(this.dataSource.manager, line, from.value, from.kind)
        : null;
      const decision = compiled.decide({
        channel: message.channel,
        ivr: null,
        from: from.kind === 'phone' ? from.value : null,
        at: new Date(),
        customer,
      });
      const neverMatched = compiled.neverMatchedWith(customer);
      const plain =
        decision.plan === null &&
        decision.announcement === null &&
        decision.holdUntil === null &&
        neverMatched.length === 0;
      const intake = async (tx: EntityManager) => {
        const received = await this.intake(tx, line, message, from, rules, decision);
        if (!plain && received?.outcome === 'created' && received.contact_id)
          await this.applyDecision(tx, line, message.channel, received.contact_id, decision, neverMatched);
        return received;
      };
      const row = plain
        ? await intake(this.dataSource.manager)
        : await inTransaction(this.dataSource, intake);
      if (decision.holdUntil !== null && row?.outcome === 'created') this.scheduler.wake(decision.holdUntil);
      if (decision.announcement !== null && row?.outcome === 'created') this.scheduler.wake();
      if (row?.outcome === 'stale_rules' && attempt < 5) {
        rules = await this.rules.load(line);
        continue;
      }
      if (!row?.contact_id) throw new Error(`message intake failed (${row?.outcome ?? 'no result'})`);
      if (row.outcome === 'created') {
        this.logger.log(
          { line, channel: message.channel, contactId: row.contact_id, held: decision.holdUntil !== null },
          decision.holdUntil === null ? 'conversation queued' : 'conversation held until the line opens',
        );
        await this.bus.publish({ type: 'queue.changed', lines: [line] });
        this.dispatcher.request(line);
      }
      if (row.outcome !== 'duplicate') {
        // one idle job per contact, armed by its first message; later messages only move last_message_at
        if (row.outcome === 'created')
          await this.armIdleTimer(row.contact_id, line, message.channel, decision.holdUntil);
        if (row.outcome === 'appended' && row.agent_id && row.status === 'connected')
          await this.bus.publish({
            type: 'message.received',
            agentId: row.agent_id,
            contactId: row.contact_id,
            messageId: row.message_id!,
          });
      }
      return {
        created: row.outcome === 'created',
        contactId: row.contact_id,
        status: row.status!,
        customer: { id: row.customer_id!, known: row.known! },
      };
    }
  }

  /** `tether_receive_message` with the rules' priority and skills. */
  private intake(
    tx: EntityManager,
    line: Line,
    message: IncomingMessage,
    from: { kind: 'phone' | 'email' | 'handle'; value: string },
    rules: Awaited<ReturnType<LineRoutingRepository['cached']>>,
    { skills, priority, rule }: ArrivalDecision,
  ) {
    return one<{
      outcome: ReceiveMessageOutcome;
      contact_id: string | null;
      message_id: string | null;
      seq: number | null;
      status: string | null;
      agent_id: string | null;
      customer_id: string | null;
      known: boolean | null;
    }>(tx, `SELECT * FROM tether_receive_message($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, [
      line,
      message.channel,
      message.conversationId,
      message.messageId,
      from.kind,
      from.value,
      message.text,
      JSON.stringify(message.attachments ?? []),
      priority,
      JSON.stringify(skills),
      rules.version,
      rules.sticky.acrossChannels,
      `${message.channel} conversation arrived on line ${line}` +
        (rule === null ? '' : `; rule ${rule} matched`),
    ]);
  }

  /**
   * A new conversation's contact as its rule decided, in the intake's transaction (no pass sees it without): its
   * stages, agents never matched with the customer, the announcement as an automatic reply (no agent; delivered in
   * the conversation's order when TETHER_CHANNEL_URL is set), and a hold until the line opens: out of routing until
   * then (`not_before`, as a callback's window), with a pass scheduled at that moment (a durable job).
   */
  private async applyDecision(
    tx: EntityManager,
    line: Line,
    channel: Channel,
    contactId: string,
    decision: ArrivalDecision,
    neverMatched: string[],
  ): Promise<void> {
    const traces = [
      ...(neverMatched.length > 0 ? [ContactTrace.neverMatched(neverMatched)] : []),
      ...(decision.holdUntil !== null
        ? [ContactTrace.heldUntilOpen(decision.rule!, decision.holdUntil)]
        : []),
    ];
    await tx.query(
      `UPDATE contacts SET routing_plan = $2, announcement = coalesce(announcement, $3),
              excluded_agent_ids = excluded_agent_ids || $4::uuid[], not_before = $5,
              routing_trace = routing_trace || coalesce(
                (SELECT jsonb_agg(e) FROM unnest($6::text[]) t, LATERAL jsonb_array_elements(tether_trace(t)) e),
                '[]'::jsonb)
        WHERE id = $1`,
      [
        contactId,
        decision.plan === null ? null : JSON.stringify(decision.plan),
        decision.announcement,
        neverMatched,
        decision.holdUntil,
        traces,
      ],
    );
    if (decision.announcement !== null) {
      await tx.query(
        `INSERT INTO messages (contact_id, line, channel, direction, seq, text)
         SELECT $1, $2, $3, 'out', coalesce(max(seq), 0) + 1, $4 FROM messages WHERE contact_id = $1`,
        [contactId, line, channel, decision.announcement],
      );
      if (this.config.channelUrl)
        await this.scheduler.schedule(tx, 'channel.deliver', new Date(), { contactId }, contactId);
    }
    if (decision.holdUntil !== null)
      await this.scheduler.schedule(
        tx,
        'routing.sticky-wait',
        decision.holdUntil,
        { line },
        `open:${contactId}@${decision.holdUntil.getTime()}`,
      );
  }

  /** An agent's reply: stored (ack after that), then delivered in the conversation's order. */
  async send(agentId: string, contactId: string, text: string): Promise<{ messageId: string; seq: number }> {
    if (!UUID.test(contactId)) throw new ContactNotAssignedToAgent(contactId);
    const stored = await inTransaction(this.dataSource, async (tx) => {
      const contact = await one<{ line: Line; channel: Channel; status: string; agent_id: string | null }>(
        tx,
        `SELECT line, channel, status, agent_id FROM contacts WHERE id = $1 FOR UPDATE`,
        [contactId],
      );
      if (!contact || contact.agent_id !== agentId || contact.status !== 'connected')
        throw new ContactNotAssignedToAgent(contactId);
      if (contact.channel === 'voice')
        throw new ValidationFailed(
          'contactId: a call has no messages: message:send is for chat, email, messenger, social',
        );
      const row = await one<{ id: string; seq: number }>(
        tx,
        `INSERT INTO messages (contact_id, line, channel, direction, seq, agent_id, text)
         SELECT $1, $2, $3, 'out', coalesce(max(seq), 0) + 1, $4, $5 FROM messages WHERE contact_id = $1
         RETURNING id, seq`,
        [contactId, contact.line, contact.channel, agentId, text],
      );
      await tx.query(`UPDATE contacts SET last_message_at = now() WHERE id = $1`, [contactId]);
      if (this.config.channelUrl)
        await this.scheduler.schedule(tx, 'channel.deliver', new Date(), { contactId }, contactId);
      return row!;
    });
    this.scheduler.wake();
    return { messageId: stored.id, seq: stored.seq };
  }

  /** The conversation so far (oldest first), for the agent holding the contact. */
  async conversation(contactId: string, limit = 200): Promise<ConversationMessage[]> {
    const found = await rows<{
      id: string;
      seq: number;
      direction: 'in' | 'out';
      agent_id: string | null;
      text: string | null;
      attachments: unknown[];
      created_at: Date;
    }>(
      this.dataSource.manager,
      `SELECT * FROM (SELECT id, seq, direction, agent_id, text, attachments, created_at FROM messages
                       WHERE contact_id = $1 ORDER BY seq DESC LIMIT $2) m ORDER BY seq`,
      [contactId, limit],
    );
    return found.map((m) => ({
      id: m.id,
      seq: m.seq,
      direction: m.direction,
      agentId: m.agent_id,
      text: m.text,
      attachments: m.attachments,
      at: m.created_at.toISOString(),
    }));
  }

  /** One message, as the agent holding its contact is sent it (`message`). */
  async message(messageId: string): Promise<(ConversationMessage & { contactId: string }) | undefined> {
    const row = await one<{
      id: string;
      contact_id: string;
      seq: number;
      direction: 'in' | 'out';
      agent_id: string | null;
      text: string | null;
      attachments: unknown[];
      created_at: Date;
    }>(
      this.dataSource.manager,
      `SELECT id, contact_id, seq, direction, agent_id, text, attachments, created_at FROM messages WHERE id = $1`,
      [messageId],
    );
    if (!row) return undefined;
    return {
      id: row.id,
      contactId: row.contact_id,
      seq: row.seq,
      direction: row.direction,
      agentId: row.agent_id,
      text: row.text,
      attachments: row.attachments,
      at: row.created_at.toISOString(),
    };
  }

  /**
   * Delivers a conversation's pending replies in order, one POST at a time: each is marked delivered before the
   * next is sent; a failure stops the run (the job is retried with backoff), so a reply never overtakes an earlier
   * one. Fenced like the telephony callbacks: one instance at a time per conversation.
   */
  @OnJob('channel.deliver')
  async deliver(job: DueJob<'channel.deliver'>): Promise<void> {
    const url = this.config.channelUrl;
    if (!url) return;
    for (;;) {
      const next = await inTransaction(this.dataSource, async (tx) => {
        await this.scheduler.fence(tx, job, { holdMs: DELIVERY_TIMEOUT_MS + 1_000 });
        return one<{
          id: string;
          seq: number;
          text: string | null;
          /** null: an automatic reply (a rule's stage end announcement) */
          agent_id: string | null;
          conversation_id: string;
          channel: string;
          line: string;
          contact_id: string;
          created_at: Date;
        }>(
          tx,
          `SELECT m.id, m.seq, m.text, m.agent_id, c.conversation_id, m.channel, m.line, m.contact_id, m.created_at
             FROM messages m JOIN contacts c ON c.id = m.contact_id
            WHERE m.contact_id = $1 AND m.direction = 'out' AND m.delivered_at IS NULL
            ORDER BY m.seq LIMIT 1`,
          [job.payload.contactId],
        );
      });
      if (!next) return;
      const raw = JSON.stringify({
        event: 'message.send',
        messageId: next.id,
        contactId: next.contact_id,
        line: next.line,
        channel: next.channel,
        conversationId: next.conversation_id,
        seq: next.seq,
        agentId: next.agent_id,
        text: next.text,
        createdAt: next.created_at.toISOString(),
      });
      const { pathname, search } = new URL(url);
      const signature = signatureHeader(this.secrets.webhookSecret, {
        method: 'POST',
        path: `${pathname}${search}`,
        rawBody: raw,
      });
      let status = 0;
      try {
        status = await postJson(url, raw, { [SIGNATURE_HEADER]: signature }, DELIVERY_TIMEOUT_MS);
      } catch (error) {
        await this.noteFailure(next.id, (error as Error).message);
        throw error;
      }
      if (status < 200 || status >= 300) {
        await this.noteFailure(next.id, `answered ${status}`);
        throw new Error(`channel delivery answered ${status}`);
      }
      await this.dataSource.query(
        `UPDATE messages SET delivered_at = now(), delivery_attempts = delivery_attempts + 1 WHERE id = $1`,
        [next.id],
      );
    }
  }

  /**
   * No message either way for the line's idle time of the channel: the conversation's contact ends. The contact's
   * one job (dedupe key: the contact id) comes due at the first message's idle time; a message since moved
   * last_message_at, so the job is moved forward to the new idle time (RetryJobLater: the same row, no new one).
   */
  @OnJob('conversation.idle')
  async idle(job: DueJob<'conversation.idle'>): Promise<void> {
    const ended = await inTransaction(this.dataSource, async (tx) => {
      await this.scheduler.fence(tx, job);
      const contact = await one<{
        id: string;
        line: Line;
        channel: Channel;
        status: string;
        agent_id: string | null;
        last_message_at: Date;
        now: Date;
      }>(
        tx,
        // held until the line opened (not_before): idle counts from then
        `SELECT id, line, channel, status, agent_id,
                greatest(last_message_at, coalesce(not_before, last_message_at)) AS last_message_at, now() AS now
           FROM contacts WHERE id = $1 FOR UPDATE`,
        [job.payload.contactId],
      );
      if (!contact || contact.status === 'ended') return undefined;
      const idleMs = (await this.idleSeconds(contact.line, contact.channel)) * 1000;
      const dueMs = contact.last_message_at.getTime() + idleMs;
      // within a second of its time counts (the job's own clock and the database's)
      if (dueMs - contact.now.getTime() > 1_000)
        throw new RetryJobLater('the conversation is not idle yet', dueMs - contact.now.getTime(), {
          expected: true,
        });
      const revoked = await one<{ id: string; agent_id: string }>(
        tx,
        `UPDATE offers SET state = 'revoked', end_reason = 'conversation_idle', resolved_at = now()
          WHERE contact_id = $1 AND state = 'pending' RETURNING id, agent_id`,
        [contact.id],
      );
      if (revoked) await releaseSlot(tx, revoked.agent_id, contact.channel);
      await tx.query(
        `UPDATE contacts SET status = 'ended', end_reason = $2, ended_at = now(), offered_agent_id = NULL,
                routing_trace = routing_trace || tether_trace('the conversation went idle')
          WHERE id = $1`,
        [contact.id, contact.status === 'connected' ? 'conversation_idle' : 'abandoned'],
      );
      return { contact, revoked };
    });
    if (!ended) return;
    const { contact, revoked } = ended;
    this.logger.log({ contactId: contact.id, line: contact.line }, 'conversation idle: contact ended');
    if (revoked) {
      await this.bus.publish({
        type: 'offer.revoked',
        agentId: revoked.agent_id,
        offerId: revoked.id,
        contactId: contact.id,
        reason: 'conversation_idle',
      });
      this.dispatcher.request(contact.line);
    }
    if (contact.status === 'queued') await this.bus.publish({ type: 'queue.changed', lines: [contact.line] });
    if (contact.status === 'connected' && contact.agent_id)
      await this.bus.publish({
        type: 'contact.ended',
        agentId: contact.agent_id,
        contactId: contact.id,
        reason: 'conversation_idle',
      });
  }

  /** The contact's one idle job (dedupe key: its id), due at the first message's idle time. */
  private async armIdleTimer(
    contactId: string,
    line: Line,
    channel: Channel,
    heldUntil: Date | null = null,
  ): Promise<void> {
    // a conversation held until the line opens goes idle counting from the opening, not overnight
    const from = Math.max(Date.now(), heldUntil?.getTime() ?? 0);
    const at = new Date(from + (await this.idleSeconds(line, channel)) * 1000);
    await this.scheduler.schedule(this.dataSource.manager, 'conversation.idle', at, { contactId }, contactId);
    this.scheduler.wake(at);
  }

  /** The line's idle time for the channel (`channels.<channel>.idleSeconds`), else TETHER_CONVERSATION_IDLE_SECONDS. */
  private async idleSeconds(line: Line, channel: Channel): Promise<number> {
    const rules = await this.rules.cached(line);
    return rules.channels?.[channel]?.idleSeconds ?? this.config.conversationIdleSeconds;
  }

  private async noteFailure(messageId: string, error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE messages SET delivery_attempts = delivery_attempts + 1, last_error = $2 WHERE id = $1`,
      [messageId, error.slice(0, 500)],
    );
  }

  /** The sender's identity: a phone number, else an e-mail address, else a handle (`<network>:<name>`). */
  private sender(from: IncomingMessage['from']): { kind: 'phone' | 'email' | 'handle'; value: string } {
    if (from.phone !== undefined) {
      const phone = normalizePhone(from.phone);
      if (!phone) throw new ValidationFailed('from.phone must be a phone number in E.164 form');
      return { kind: 'phone', value: phone };
    }
    if (from.email !== undefined) {
      const email = normalizeEmail(from.email);
      if (!email) throw new ValidationFailed('from.email must be an e-mail address');
      return { kind: 'email', value: email };
    }
    if (from.handle !== undefined) {
      const handle = normalizeHandle(from.handle);
      if (!handle) throw new ValidationFailed('from.handle must be <network>:<name>, e.g. telegram:ada_l');
      return { kind: 'handle', value: handle };
    }
    throw new ValidationFailed('from must name the sender: one of phone, email, handle');
  }
}
