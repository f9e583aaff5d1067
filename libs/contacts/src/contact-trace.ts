/**
 * The entries of a contact's routing trace (`routingTrace` in GET /v1/telephony/calls/{callId}) that the contact
 * lifecycle writes, worded in one place; the routing decisions themselves are worded by libs/routing. Ids, counts
 * and names of skills only: never a phone number or a note.
 */
export const ContactTrace = {
  arrived: (line: string): string => `arrived on line ${line}`,
  arrivedByRule: (line: string, rule: string): string => `arrived on line ${line}; rule ${rule} matched`,
  neverMatched: (agentIds: readonly string[]): string =>
    `never matched with this customer on this line: ${agentIds.join(', ')}`,
  hungUpFirst: 'the caller had already hung up (the hang-up overtook this call webhook): ended, not queued',
  redirected: (from: string, to: string, why: string): string =>
    `redirected from line ${from} to line ${to}: ${why}`,
  overflowed: (line: string, what: string): string => `line ${line}'s queue limit reached: ${what}`,
  offered: (agentId: string, why: string): string => `offered to ${agentId}: ${why}`,
  stageEndOverflowed: (
    rule: string,
    from: string,
    to: string,
    why: string,
    decidedBy: string | null,
  ): string =>
    `rule ${rule}: the last stage ended; overflowed from line ${from} to line ${to}: ${why}` +
    (decidedBy === null ? '' : `; on line ${to}, rule ${decidedBy} matched`),
  heldUntilOpen: (rule: string, until: Date): string =>
    `rule ${rule}: the line is closed; held until it opens at ${until.toISOString()}`,
  stageEndCallback: (rule: string): string => `rule ${rule}: the last stage ended; a callback is offered`,
  stageEndAnnouncement: (rule: string): string =>
    `rule ${rule}: the last stage ended; the announcement is played, the contact keeps waiting`,
} as const;
