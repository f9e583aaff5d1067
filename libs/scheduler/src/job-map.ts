/**
 * Every durable timer kind and its payload, in one place. A kind is scheduled with `DurableScheduler.schedule`
 * (or by a SQL function given the kind by its caller) and handled by exactly one method marked `@OnJob(kind)`;
 * both are type-checked against this map. Payloads carry ids, never personal data.
 */
export interface JobPayloads {
  /**
   * A contact was held for its preferred agent (last agent or case owner) and the hold ends now: route the line
   * again. Written by a routing pass's commit for each hold (libs/contacts, `ContactDispatcher`).
   */
  'routing.sticky-wait': { line: string };
  /** An agent's wrap-up after a contact ends: route the lines they serve (libs/contacts, completion). */
  'agent.wrap-up-end': { lines: string[] };
  /** An agent's last socket closed and the reconnect grace is over: offline unless they came back. */
  'agent.disconnect-grace': { agentId: string };
  /** Deliver (retry) one outbound telephony callback from the outbox (libs/telephony). */
  'telephony.callback': { id: string };
  /**
   * Retention (TETHER_RETENTION_DAYS): erase the personal data of contacts older than that, one batch per run; run
   * at start and daily, the next batch at once while a batch comes back full (libs/customers,
   * `CustomerPrivacyService`).
   */
  'privacy.retention': Record<string, never>;
  /** A transfer to a line or the case owner nobody accepted in time: it comes back to its agent (libs/contacts). */
  'transfer.timeout': { transferId: string };
  /** Send an incident update's notices to the affected customers, in batches (libs/incidents). */
  'incident.notify': { updateId: string };
  /** A case's due time: if it is still open, its owner gets a notice and supervisors an event (libs/cases). */
  'case.overdue': { caseId: string };
  /** Remind a callback's owner that it is due soon, if it is still waiting (libs/contacts, callbacks). */
  'callback.remind': { callbackId: string };
  /** A callback's due time: still unmade, it is missed and escalated (libs/contacts, callbacks). */
  'callback.due': { callbackId: string };
  /** Deliver an agent's pending replies of one conversation, in order, to TETHER_CHANNEL_URL (libs/contacts). */
  'channel.deliver': { contactId: string };
  /** A conversation's idle timeout: ended unless a message came meanwhile (libs/contacts, messaging). */
  'conversation.idle': { contactId: string };
  /**
   * The reports' rollup: folds the contacts that arrived more than a day ago into contact_outcomes, one day per
   * transaction, the next step at once while behind, else at the next 15-minute boundary (libs/reports,
   * `ReportRollupService`).
   */
  'reports.rollup': Record<string, never>;
}

export type JobKind = keyof JobPayloads;

/** The kinds as values, for SQL functions that take the kind of the job they write as an argument. */
export const JOB_KINDS = {
  preferredAgentHoldEnds: 'routing.sticky-wait',
  wrapUpEnds: 'agent.wrap-up-end',
  disconnectGraceEnds: 'agent.disconnect-grace',
  telephonyCallback: 'telephony.callback',
  transferTimesOut: 'transfer.timeout',
  /** written by tether_stage_end: a messaging contact's automatic reply to deliver */
  channelDelivery: 'channel.deliver',
} as const satisfies Record<string, JobKind>;
