/**
 * What the contact lifecycle's SQL functions answer in their `outcome` column, declared once. The services switch on
 * these types; `sql-outcomes.spec.ts` reads each function's .sql file and fails when it can answer anything else.
 */
export const SQL_OUTCOMES = {
  /** libs/contacts/sql/receive_call.sql */
  tether_receive_call: ['created', 'hung_up', 'duplicate', 'stale_rules'],
  /** libs/contacts/sql/remember_hangup.sql */
  tether_remember_hangup: ['known', 'remembered'],
  /** libs/contacts/sql/accept_offer.sql */
  tether_accept_offer: ['accepted', 'already_accepted', 'not_found', 'expired', 'ended', 'contact_moved'],
  /** libs/contacts/sql/reject_offer.sql */
  tether_reject_offer: ['rejected', 'not_found', 'ended'],
  /** libs/contacts/sql/complete_contact.sql */
  tether_complete_contact: [
    'completed',
    'not_assigned',
    'already_completed',
    'case_not_found',
    'transfer_pending',
  ],
  /** libs/contacts/sql/transfer_contact.sql */
  tether_transfer_contact: ['transferred', 'not_connected', 'pending', 'no_case_owner'],
  /** libs/contacts/sql/return_transfer.sql */
  tether_return_transfer: ['returned', 'gone'],
  /** libs/contacts/sql/confirm_callback.sql */
  tether_confirm_callback: ['confirmed', 'exists', 'not_found', 'not_waiting', 'offered_now', 'no_number'],
  /** libs/contacts/sql/outbound_contact.sql */
  tether_outbound_contact: ['created', 'no_customer', 'case_not_found', 'no_number', 'busy'],
  /** libs/contacts/sql/dial_result.sql */
  tether_dial_result: ['retry', 'ended', 'not_dialing'],
  /** libs/contacts/sql/receive_message.sql */
  tether_receive_message: ['created', 'appended', 'duplicate', 'stale_rules'],
  /** libs/contacts/sql/force_assign.sql */
  tether_force_assign: [
    'offered',
    'contact_not_found',
    'not_waiting',
    'already_offered',
    'agent_not_found',
    'agent_offline',
    'no_capacity',
  ],
  /** libs/contacts/sql/stage_end.sql */
  tether_stage_end: ['applied', 'not_waiting', 'moved', 'done'],
} as const;

export type ReceiveCallOutcome = (typeof SQL_OUTCOMES.tether_receive_call)[number];
export type RememberHangupOutcome = (typeof SQL_OUTCOMES.tether_remember_hangup)[number];
export type AcceptOfferOutcome = (typeof SQL_OUTCOMES.tether_accept_offer)[number];
export type RejectOfferOutcome = (typeof SQL_OUTCOMES.tether_reject_offer)[number];
export type CompleteContactOutcome = (typeof SQL_OUTCOMES.tether_complete_contact)[number];
export type TransferContactOutcome = (typeof SQL_OUTCOMES.tether_transfer_contact)[number];
export type ReturnTransferOutcome = (typeof SQL_OUTCOMES.tether_return_transfer)[number];
export type ConfirmCallbackOutcome = (typeof SQL_OUTCOMES.tether_confirm_callback)[number];
export type OutboundContactOutcome = (typeof SQL_OUTCOMES.tether_outbound_contact)[number];
export type DialResultOutcome = (typeof SQL_OUTCOMES.tether_dial_result)[number];
export type StageEndOutcome = (typeof SQL_OUTCOMES.tether_stage_end)[number];
export type ReceiveMessageOutcome = (typeof SQL_OUTCOMES.tether_receive_message)[number];
export type ForceAssignOutcome = (typeof SQL_OUTCOMES.tether_force_assign)[number];
