import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SecretsService } from '@tether/auth';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { inTransaction, lastRows, prepared } from '@tether/persistence';
import { DueJob, DurableScheduler, JOB_KINDS, OnJob } from '@tether/scheduler';
import { postJson } from './post-json';
import { TWILIO_OUTBOX_URL, TwilioCallDelivery } from './twilio/twilio-call-delivery';
import { TwilioRestClient } from './twilio/twilio-rest.client';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature';

const JOB_TELEPHONY_CALLBACK = JOB_KINDS.telephonyCallback;
/** a delivery attempt gives up after this; the job's lease is extended to cover it (see `deliver`) */
const DELIVERY_TIMEOUT_MS = 4_000;
/** the lease a delivery holds: the attempt, plus room for marking it delivered */
const DELIVERY_HOLD_MS = DELIVERY_TIMEOUT_MS + 1_000;
/** after a day of failures the callback is marked failed and stops being retried */
const GIVE_UP_AFTER_MS = 24 * 3600 * 1000;

export interface ContactConnectedEvent {
  event: 'contact.connected';
  callId: string;
  contactId: string;
  agentId: string;
}

/** A transferred contact was accepted: the platform re-bridges the call from one agent to the other. */
export interface ContactTransferredEvent {
  event: 'contact.transferred';
  callId: string;
  contactId: string;
  fromAgentId: string;
  toAgentId: string;
}

/**
 * Dial the customer for this agent: a callback an agent accepted (the caller hung up after confirming it, or an agent
 * scheduled it), or an agent's outbound call. The platform reports the result as events on `callId` (`answered`,
 * `no_answer`, `busy`, `failed`, `hangup`). `number` is the customer's: this body is never logged.
 */
export interface ContactDialEvent {
  event: 'contact.dial';
  callId: string;
  contactId: string;
  agentId: string;
  number: string;
  attempt: number;
  callbackId?: string;
}

/**
 * A waiting call's rule ended its last stage with an overflow (`afterStages.line`): the call now waits on `line`'s
 * queue (the call id stays the line it called); the IVR may tell the caller `reason`.
 */
export interface ContactRedirectedEvent {
  event: 'contact.redirected';
  callId: string;
  contactId: string;
  line: string;
  reason: string;
}

/**
 * A waiting call's rule ended its last stage with a callback offer (`afterStages.callback`): the IVR asks the caller
 * and confirms with `POST /v1/telephony/calls/{callId}/callback`.
 */
export interface ContactCallbackOfferedEvent {
  event: 'contact.callback_offered';
  callId: string;
  contactId: string;
  reason?: string;
}

/** A waiting call's rule ended its last stage with an announcement (`afterStages.announcement`): play `text`. */
export interface ContactAnnouncementEvent {
  event: 'contact.announcement';
  callId: string;
  contactId: string;
  text: string;
}

/** What Tether POSTs to `TETHER_TELEPHONY_CALLBACK_URL`. */
export type TelephonyCallbackEvent =
  | ContactConnectedEvent
  | ContactTransferredEvent
  | ContactDialEvent
  | ContactRedirectedEvent
  | ContactCallbackOfferedEvent
  | ContactAnnouncementEvent;

/**
 * Outbound callbacks to the telephony platform (the transactional outbox): the row and its delivery job are
 * written in the same transaction as the state change (`tether_accept_offer`), then delivered at once by the
 * accepting process and retried with backoff until a 2xx, by whichever instance is alive. A restart loses nothing; delivery is at least once (the platform sees
 * contactId and can de-duplicate).
 */
@Injectable()
export class TelephonyCallbackService {
  private readonly logger = new Logger(TelephonyCallbackService.name);
  private readonly twilio?: TwilioCallDelivery;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
    private readonly scheduler: DurableScheduler,
    private readonly secrets: SecretsService,
  ) {
    if (config.twilio)
      this.twilio = new TwilioCallDelivery(
        new TwilioRestClient(config.twilio),
        dataSource.manager,
        config.twilio.callerId,
      );
  }

  /**
   * Where callbacks go: TETHER_TELEPHONY_CALLBACK_URL; else, with Twilio configured, Twilio; null when neither is
   * (then none is written). A call that came through the Twilio adapter is reached through Twilio whatever this is
   * (tether_accept_offer).
   */
  get url(): string | null {
    return this.config.telephonyCallbackUrl ?? (this.twilio ? TWILIO_OUTBOX_URL : null);
  }

  /**
   * Delivers a callback whose outbox row (and safety-net job, due a few seconds later) the caller just committed
   * (`tether_accept_offer`): at once, in this process, without a round trip through the job table. Delivered: the
   * row is marked and the job dropped in one statement. Failed: the job is brought forward to the usual backoff and
   * retried by whichever instance claims it. Killed before either: the safety-net job delivers it. Never throws.
   */
  deliverNow(id: string, url: string, body: TelephonyCallbackEvent): void {
    void this.deliverDirect(id, url, body).catch((error: Error) =>
      this.logger.warn({ callbackId: id }, `telephony callback delivery not recorded: ${error.message}`),
    );
  }

  private async deliverDirect(id: string, url: string, body: TelephonyCallbackEvent): Promise<void> {
    try {
      await this.post(url, body);
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
      // the outbox row is ours; its safety-net job is the scheduler's, moved through the scheduler's own function
      await this.dataSource.query(
        `WITH noted AS (UPDATE outbound_webhooks SET attempts = attempts + 1, last_error = $3 WHERE id = $1)
         SELECT tether_hasten_job($2, $1::text, 500)`,
        [id, JOB_TELEPHONY_CALLBACK, message],
      );
      this.scheduler.wake(new Date(Date.now() + 500));
      return;
    }
    await this.dataSource.query(
      prepared(`WITH delivered AS (
         UPDATE outbound_webhooks SET status = 'delivered', delivered_at = now(), attempts = attempts + 1 WHERE id = $1)
       SELECT tether_cancel_job($2, $1::text)`),
      [id, JOB_TELEPHONY_CALLBACK],
    );
    this.logger.log({ callbackId: id, contactId: body.contactId }, 'telephony callback delivered');
  }

  private async post(url: string, body: TelephonyCallbackEvent): Promise<void> {
    if (url === TWILIO_OUTBOX_URL) {
      if (!this.twilio) throw new Error('a Twilio call, but Twilio is not configured (TWILIO_ACCOUNT_SID)');
      return this.twilio.deliver(body);
    }
    const raw = JSON.stringify(body);
    // signed as the platform signs its webhooks to us: bound to the method and the callback URL's own path and query
    const { pathname, search } = new URL(url);
    const signature = signatureHeader(this.secrets.webhookSecret, {
      method: 'POST',
      path: `${pathname}${search}`,
      rawBody: raw,
    });
    const status = await postJson(url, raw, { [SIGNATURE_HEADER]: signature }, DELIVERY_TIMEOUT_MS);
    if (status < 200 || status >= 300) throw new Error(`callback answered ${status}`);
  }

  /**
   * One attempt, fenced: it starts only while this instance's claim on the job holds, and extends the lease over
   * the whole attempt, so an instance that lost its claim (paused or partitioned past its lease, the job claimed
   * again meanwhile) does not POST, and two instances never POST the same callback at once.
   */
  @OnJob('telephony.callback')
  async deliver(job: DueJob<'telephony.callback'>): Promise<void> {
    const { id } = job.payload;
    const row = await inTransaction(this.dataSource, async (tx) => {
      await this.scheduler.fence(tx, job, { holdMs: DELIVERY_HOLD_MS });
      // the transaction's last statement: its COMMIT goes out with it
      const [attempt] = await lastRows<{
        url: string;
        body: TelephonyCallbackEvent;
        status: string;
        created_at: Date;
      }>(
        tx,
        `UPDATE outbound_webhooks SET attempts = attempts + 1 WHERE id = $1 RETURNING url, body, status, created_at`,
        [id],
      );
      return attempt;
    });
    if (!row || row.status !== 'pending') return;
    try {
      await this.post(row.url, row.body);
      await this.dataSource.query(
        `UPDATE outbound_webhooks SET status = 'delivered', delivered_at = now() WHERE id = $1`,
        [id],
      );
      this.logger.log({ callbackId: id, contactId: row.body.contactId }, 'telephony callback delivered');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await this.dataSource.query(`UPDATE outbound_webhooks SET last_error = $2 WHERE id = $1`, [
        id,
        message.slice(0, 500),
      ]);
      if (Date.now() - row.created_at.getTime() > GIVE_UP_AFTER_MS) {
        await this.dataSource.query(`UPDATE outbound_webhooks SET status = 'failed' WHERE id = $1`, [id]);
        this.logger.error({ callbackId: id }, 'telephony callback given up after 24 h of failures');
        return;
      }
      throw error;
    }
  }
}
