import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { normalizePhone } from '@tether/customers';
import { ValidationFailed } from '@tether/errors';
import { rows, Sql } from '@tether/persistence';
import { presenceHistory } from '@tether/reports';
import {
  Channel,
  CompiledRuleSet,
  ForeignWork,
  Line,
  OfferReason,
  ReplayAgent,
  ReplayComparison,
  ReplayContact,
  ReplaySimulator,
  RoutingRules,
  compareReplays,
} from '@tether/routing';
import { CONTACTS_PER_PASS } from './contact-dispatcher.service';
import { IvrInfo } from './contact.types';
import { LineRoutingRepository } from './line-routing.repository';

const DAY_MS = 86_400_000;
/** the longest period one replay covers */
export const REPLAY_MAX_DAYS = 31;
/** the most contacts one replay reads: a longer period is refused (400 naming `to`) rather than run for minutes */
export const REPLAY_MAX_CONTACTS = 200_000;
/** recorded contacts are read in pages of this many, by a keyset cursor on (created_at, id) */
const REPLAY_PAGE = 10_000;
/** the default service-level target, seconds (as the reports') */
export const REPLAY_DEFAULT_SERVICE_LEVEL_SECONDS = 20;

/** What POST /v1/lines/{line}/routing/replay takes. */
export interface ReplayRequest {
  from: Date;
  to: Date;
  /** replay the line's draft against the live rules */
  draft?: boolean;
  /** or this version of the line's rules */
  version?: number;
  serviceLevelSeconds?: number;
}

/** The answer: the comparison, with what was replayed and on which assumptions. */
export interface ReplayReport extends ReplayComparison {
  line: Line;
  from: string;
  to: string;
  /** the live rules' version (the baseline) */
  baselineVersion: number;
  /** the version replayed, or null for the draft */
  draftVersion: number | null;
  serviceLevelSeconds: number;
  /** agents of the line replayed (current agents who serve it) */
  agents: number;
  /** how long the replay took, ms (reading included) */
  elapsedMs: number;
  /** where the replay departs from what was recorded, stated so the figures are read for what they are */
  assumptions: string[];
}

/** The same for every replay: the simulator's simplifications and the facts not recorded over time. */
export const REPLAY_ASSUMPTIONS: readonly string[] = [
  "agents' skills, lines, capacity and teams are today's (they are not recorded over time); deleted agents are left out",
  "customers' attributes and 'known' are today's; open cases on other lines are those open at the contact's arrival by their created/resolved/closed times",
  "a case's owner, deputy and team are today's; the contact's case and last agent are as recorded at its arrival",
  'an offer is accepted the moment it is made (no ring time, no declines or expiries)',
  "an answered contact takes its recorded handling time (first answer to completion); one nobody answered in reality takes the median of its channel's",
  'a contact that hung up unanswered hangs up at its recorded time if still waiting; one that was answered waits as long as it takes',
  "work for other lines holds the agent's slot from its answer to its completion, as recorded",
  "presence after the period's end stays as it was at its end; a signed-in agent is connected",
  'queue limits replay maxWaiting only (not maxWaitSeconds); transfers, callbacks and forced assignments are not replayed',
  "stage end actions (afterStages) are not replayed: a contact past its rule's last stage keeps waiting in it; holdUntilOpen holds nothing (its stages still count from the opening)",
  "both runs use the same simplifications: the baseline (today's live rules) against the draft shows what the rules change; recorded beside them shows how close the simulation is to what happened",
];

interface ContactRow {
  id: string;
  /** the incident intake linked the contact to (it affected the caller on arrival) */
  incident_id: string | null;
  channel: Channel;
  line: Line;
  routed_line: Line | null;
  arrived_at: Date;
  ivr: IvrInfo | null;
  from_address: string | null;
  sticky_agent_id: string | null;
  last_agent_at: Date | null;
  case_id: string | null;
  owner_id: string | null;
  deputy_id: string | null;
  team: string | null;
  customer_id: string | null;
  known: boolean | null;
  attributes: Record<string, unknown> | null;
  last_contact_at: Date | null;
  open_case_lines: string[] | null;
  answered_at: Date | null;
  answered_by: string | null;
  reason: OfferReason | null;
  completed_at: Date | null;
  ended_at: Date | null;
  end_reason: string | null;
}

/**
 * The line's recorded contacts of a period, one page: arrivals on the line (and those another line's rule redirected
 * here), inbound only, with the facts the rules read at arrival, the relations recorded then, and what happened (the
 * first accepted offer: answer time and reason; completion; hang-up). Customer facts only when a rule asks.
 */
const CONTACTS_PAGE = `
  SELECT c.id, c.channel, c.line, c.routed_line, c.created_at AS arrived_at, c.ivr, c.from_address, c.incident_id,
         c.sticky_agent_id, c.last_agent_at, c.case_id, k.owner_id, o.deputy_id, k.team,
         cu.id AS customer_id, cu.known, cu.attributes,
         CASE WHEN $5 THEN (SELECT p.created_at FROM contacts p
                             WHERE p.customer_id = c.customer_id AND p.created_at < c.created_at
                             ORDER BY p.created_at DESC LIMIT 1) END AS last_contact_at,
         CASE WHEN $5 THEN ARRAY(SELECT DISTINCT k2.line FROM cases k2
                                  WHERE k2.customer_id = c.customer_id AND k2.created_at <= c.created_at
                                    AND coalesce(least(k2.resolved_at, k2.closed_at), 'infinity') > c.created_at)
         END AS open_case_lines,
         a.resolved_at AS answered_at, a.agent_id AS answered_by, a.reason, c.completed_at, c.ended_at, c.end_reason
    FROM contacts c
    LEFT JOIN customers cu ON cu.id = c.customer_id
    LEFT JOIN cases k ON k.id = c.case_id
    LEFT JOIN agents o ON o.id = k.owner_id
    LEFT JOIN LATERAL (SELECT f.resolved_at, f.agent_id, f.reason FROM offers f
                        WHERE f.contact_id = c.id AND f.state = 'accepted'
                        ORDER BY f.resolved_at LIMIT 1) a ON true
   WHERE c.created_at >= $2 AND c.created_at < $3 AND c.direction = 'inbound'
     AND (c.line = $1 OR c.routed_line = $1)
     AND (c.created_at, c.id) > ($6::timestamptz, $7::uuid)
   ORDER BY c.created_at, c.id
   LIMIT $4`;

/** The agents who serve the line now. */
const LINE_AGENTS = `
  SELECT a.id, a.lines, a.skills, a.capacity, a.team FROM agents a
   WHERE a.deleted_at IS NULL AND a.lines @> ARRAY[$1] ORDER BY a.id`;

/** What those agents did for other lines in the period: each answered contact, answer to completion. */
const FOREIGN_WORK = `
  SELECT c.agent_id AS "agentId", c.channel, c.connected_at AS "from",
         coalesce(c.completed_at, c.ended_at, $3::timestamptz) AS "to"
    FROM contacts c
   WHERE c.created_at >= $2::timestamptz - interval '1 day' AND c.created_at < $3
     AND c.agent_id = ANY($4::uuid[]) AND coalesce(c.routed_line, c.line) <> $1
     AND c.connected_at IS NOT NULL AND coalesce(c.completed_at, c.ended_at, $3::timestamptz) > $2`;

/**
 * Replays a line's recorded traffic of a period under two rule sets — the live rules (the baseline) and a draft or an
 * older version — with the same discrete-event simulation (`ReplaySimulator`, libs/routing: the same rule compilation
 * and `RoutingEngine.decide` as the live path), and compares them by rule and stage, beside the recorded reality.
 * Reads only: a few set-based statements (the contacts in keyset pages), nothing written.
 */
@Injectable()
export class RoutingReplayService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly rules: LineRoutingRepository,
  ) {}

  async replay(line: Line, request: ReplayRequest): Promise<ReplayReport> {
    const started = Date.now();
    const { from, to } = checkReplayRequest(request);
    const serviceLevelSeconds = request.serviceLevelSeconds ?? REPLAY_DEFAULT_SERVICE_LEVEL_SECONDS;
    const live = await this.rules.get(line);
    const draft: RoutingRules & { version: number | null } = request.draft
      ? { ...(await this.rules.draft(line)), version: null }
      : await this.rules.version(line, request.version!);
    const needsCustomer = CompiledRuleSet.for(live).needsCustomer || CompiledRuleSet.for(draft).needsCustomer;

    const sql = this.dataSource.manager;
    const contacts = await this.contacts(sql, line, from, to, needsCustomer);
    const agents = await rows<ReplayAgent>(sql, LINE_AGENTS, [line]);
    const agentIds = agents.map((agent) => agent.id);
    const presence = await presenceHistory(sql, agentIds, from, to);
    const foreignWork = await rows<ForeignWork>(sql, FOREIGN_WORK, [line, from, to, agentIds]);

    const simulator = new ReplaySimulator(
      { line, from, to, contacts, agents, presence, foreignWork },
      { contactsPerPass: CONTACTS_PER_PASS },
    );
    const comparison = compareReplays(
      contacts,
      simulator.run(live),
      simulator.run(draft),
      serviceLevelSeconds,
    );
    return {
      line,
      from: from.toISOString(),
      to: to.toISOString(),
      baselineVersion: live.version,
      draftVersion: draft.version,
      serviceLevelSeconds,
      agents: agents.length,
      ...comparison,
      elapsedMs: Date.now() - started,
      assumptions: [...REPLAY_ASSUMPTIONS],
    };
  }

  private async contacts(
    sql: Sql,
    line: Line,
    from: Date,
    to: Date,
    needsCustomer: boolean,
  ): Promise<ReplayContact[]> {
    const contacts: ReplayContact[] = [];
    let cursor: [Date, string] = [new Date(0), '00000000-0000-0000-0000-000000000000'];
    for (;;) {
      const page = await rows<ContactRow>(sql, CONTACTS_PAGE, [
        line,
        from,
        to,
        REPLAY_PAGE,
        needsCustomer,
        cursor[0],
        cursor[1],
      ]);
      for (const row of page) contacts.push(toReplayContact(line, row, needsCustomer));
      if (contacts.length > REPLAY_MAX_CONTACTS)
        throw new ValidationFailed(
          `to: the period holds more than ${REPLAY_MAX_CONTACTS} contacts on line ${line}: replay a shorter one`,
        );
      if (page.length < REPLAY_PAGE) return contacts;
      const last = page[page.length - 1];
      cursor = [last.arrived_at, last.id];
    }
  }
}

/** Checks what the DTO cannot: the period's order and length, and exactly one of `draft` and `version`. */
export function checkReplayRequest(request: ReplayRequest): { from: Date; to: Date } {
  const { from, to } = request;
  if (!(from instanceof Date) || Number.isNaN(from.getTime()))
    throw new ValidationFailed('from must be a time');
  if (!(to instanceof Date) || Number.isNaN(to.getTime())) throw new ValidationFailed('to must be a time');
  if (to.getTime() <= from.getTime()) throw new ValidationFailed('to must be after from');
  if (to.getTime() - from.getTime() > REPLAY_MAX_DAYS * DAY_MS)
    throw new ValidationFailed(`to must be at most ${REPLAY_MAX_DAYS} days after from`);
  const draft = request.draft === true;
  if (draft === (request.version !== undefined))
    throw new ValidationFailed('draft: give exactly one of draft: true and version');
  return { from, to };
}

function toReplayContact(line: Line, row: ContactRow, needsCustomer: boolean): ReplayContact {
  const arrivedMs = row.arrived_at.getTime();
  const answered = row.answered_at;
  const abandoned = answered === null && row.end_reason === 'abandoned';
  const otherLine = row.routed_line !== null && row.routed_line !== line ? row.routed_line : null;
  return {
    id: row.id,
    channel: row.channel,
    arrivedAt: row.arrived_at,
    facts: {
      channel: row.channel,
      ivr: row.ivr,
      from: row.from_address === null ? null : normalizePhone(row.from_address),
      at: row.arrived_at,
      customer:
        !needsCustomer || (row.customer_id === null && row.incident_id === null)
          ? null
          : {
              id: row.customer_id,
              known: row.known ?? false,
              attributes: row.attributes ?? {},
              openCase: (row.open_case_lines ?? []).includes(line),
              openCaseLines: row.open_case_lines ?? [],
              lastContactAt: row.last_contact_at,
              activeIncident: row.incident_id !== null,
            },
    },
    relations: {
      lastAgent:
        row.sticky_agent_id !== null && row.last_agent_at !== null
          ? { agentId: row.sticky_agent_id, connectedAt: row.last_agent_at }
          : null,
      caseOwnerId: row.owner_id,
      caseId: row.case_id,
      caseDeputyId: row.deputy_id,
      caseTeam: row.team,
    },
    // redirected here from the line it called: decided by this line's rules, without a further redirect
    redirectedIn: row.line !== line,
    handlingSeconds:
      answered !== null && row.completed_at !== null
        ? Math.max(0, (row.completed_at.getTime() - answered.getTime()) / 1000)
        : null,
    abandonAt: abandoned && row.ended_at !== null ? row.ended_at : null,
    recorded: {
      waitSeconds: answered === null ? null : Math.max(0, (answered.getTime() - arrivedMs) / 1000),
      reason: row.reason,
      agentId: row.answered_by,
      abandoned,
      otherLine,
    },
  };
}
