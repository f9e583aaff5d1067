/**
 * Turning the contact event history (libs/reports) off and on in a bench database, to measure what writing it
 * costs. The history is written two ways (contact_events_contacts.sql): by row triggers on contacts, offers and
 * agent_presence, and by the hot-path functions themselves (tether_receive_call, tether_accept_offer,
 * tether_complete_contact insert their events directly). "Off" must silence both: the triggers are disabled, and a
 * rule turns every INSERT into contact_events into nothing (rewritten away when the statement is planned, so the
 * functions' inserts cost next to nothing). Bench databases only: production has no switch for its history.
 */
export const HISTORY_TRIGGERS: readonly (readonly [table: string, trigger: string])[] = [
  ['contacts', 'contact_events_on_contacts'],
  ['contacts', 'contact_events_on_contacts_update'],
  ['offers', 'contact_events_on_offers'],
  ['offers', 'contact_events_on_offers_update'],
  ['agent_presence', 'agent_presence_events_on_insert'],
  ['agent_presence', 'agent_presence_events_on_update'],
];

/** the statements that turn the history on or off, in order (one transaction is not needed: run them one by one) */
export function eventHistoryStatements(enabled: boolean): string[] {
  return [
    ...HISTORY_TRIGGERS.map(
      ([table, trigger]) => `ALTER TABLE ${table} ${enabled ? 'ENABLE' : 'DISABLE'} TRIGGER ${trigger}`,
    ),
    enabled
      ? 'DROP RULE IF EXISTS contact_events_bench_off ON contact_events'
      : 'CREATE OR REPLACE RULE contact_events_bench_off AS ON INSERT TO contact_events DO INSTEAD NOTHING',
  ];
}

export async function setEventHistory(
  query: (text: string) => Promise<unknown>,
  enabled: boolean,
): Promise<void> {
  for (const statement of eventHistoryStatements(enabled)) await query(statement);
}
