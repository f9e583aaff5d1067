import type { ReplayContact, ReplayOutcome, ReplayOutcomeKind, ReplayRun } from './replay.types';

/** Waits and outcomes of one run (or of what was recorded). */
export interface ReplayFigures {
  answered: number;
  abandoned: number;
  /** sent to another line (redirect, or a queue limit's overflow to a line) */
  otherLine: number;
  /** a queue limit's overflow that is not a line (callback, refusal) */
  overflow: number;
  /** still waiting when nothing more happened (no agent ever free for them) */
  unanswered: number;
  /** arrival to answer of the answered contacts, seconds; null when none was answered */
  waitSeconds: { mean: number; p50: number; p90: number; max: number } | null;
  /** answered within the target over the contacts that waited on the line (answered, abandoned, unanswered) */
  serviceLevel: number | null;
  /** answered by the customer's last agent (`sticky`) */
  stickyHits: number;
  /** answered by their case's owner (`case_owner`) */
  caseOwnerHits: number;
}

/** A cell of the baseline → draft matrix: the contacts the baseline decided one way and the draft another. */
export interface ReplayTransition {
  baseline: { rule: string | null; stage: number | null };
  draft: { rule: string | null; stage: number | null };
  contacts: number;
  /** of those, the ones the draft sends elsewhere (another rule, stage, agent, line or outcome) */
  changed: number;
}

export interface ReplayChangedContact {
  contactId: string;
  baseline: ReplayOutcome;
  draft: ReplayOutcome;
}

export interface ReplayComparison {
  contacts: number;
  /** contacts the draft sends elsewhere than the baseline does */
  changed: number;
  /** why, each contact counted once, by the first that applies in this order */
  changedBy: {
    otherOutcome: number;
    otherLine: number;
    otherRule: number;
    otherStage: number;
    otherAgent: number;
  };
  /** by rule and stage: baseline → draft, largest first */
  byRuleAndStage: ReplayTransition[];
  baseline: ReplayFigures;
  draft: ReplayFigures;
  /** the same figures of what happened (a calibration: how close the baseline simulation is to reality) */
  recorded: ReplayFigures;
  /**
   * how close the baseline simulation is to what happened: its mean wait and service level minus the recorded ones,
   * and the share of the contacts answered both in reality and in the baseline that the baseline gives the agent who
   * really answered them (null when there are none)
   */
  calibration: {
    meanWaitSeconds: number | null;
    serviceLevel: number | null;
    sameAgent: number | null;
  };
  /** draft minus baseline */
  delta: {
    meanWaitSeconds: number | null;
    p90WaitSeconds: number | null;
    serviceLevel: number | null;
    stickyHits: number;
    caseOwnerHits: number;
    abandoned: number;
  };
  /** a few changed contacts (ids only), with both decisions */
  sample: ReplayChangedContact[];
}

type ChangeKind = keyof ReplayComparison['changedBy'];

/** Why the draft's outcome differs from the baseline's, or null when it sends the contact the same way. */
export function changeOf(baseline: ReplayOutcome, draft: ReplayOutcome): ChangeKind | null {
  if (baseline.kind !== draft.kind) return 'otherOutcome';
  if (baseline.otherLine !== draft.otherLine) return 'otherLine';
  if (baseline.rule !== draft.rule) return 'otherRule';
  if (baseline.stage !== draft.stage) return 'otherStage';
  if (baseline.agentId !== draft.agentId) return 'otherAgent';
  return null;
}

export function compareReplays(
  contacts: readonly ReplayContact[],
  baseline: ReplayRun,
  draft: ReplayRun,
  serviceLevelSeconds: number,
  sampleSize = 20,
): ReplayComparison {
  const changedBy = { otherOutcome: 0, otherLine: 0, otherRule: 0, otherStage: 0, otherAgent: 0 };
  const cells = new Map<string, ReplayTransition>();
  const sample: ReplayChangedContact[] = [];
  let changed = 0;
  contacts.forEach((contact, i) => {
    const b = baseline.outcomes[i];
    const d = draft.outcomes[i];
    const change = changeOf(b, d);
    const key = JSON.stringify([b.rule, b.stage, d.rule, d.stage]);
    let cell = cells.get(key);
    if (cell === undefined) {
      cell = {
        baseline: { rule: b.rule, stage: b.stage },
        draft: { rule: d.rule, stage: d.stage },
        contacts: 0,
        changed: 0,
      };
      cells.set(key, cell);
    }
    cell.contacts++;
    if (change === null) return;
    changed++;
    changedBy[change]++;
    cell.changed++;
    if (sample.length < sampleSize) sample.push({ contactId: contact.id, baseline: b, draft: d });
  });
  let bothAnswered = 0;
  let sameAgent = 0;
  contacts.forEach((contact, i) => {
    const b = baseline.outcomes[i];
    if (b.kind !== 'answered' || contact.recorded.agentId === null) return;
    bothAnswered++;
    if (b.agentId === contact.recorded.agentId) sameAgent++;
  });
  const baseFigures = figuresOf(baseline.outcomes, serviceLevelSeconds);
  const recordedFigures = figuresOf(contacts.map(recordedOutcome), serviceLevelSeconds);
  const draftFigures = figuresOf(draft.outcomes, serviceLevelSeconds);
  const minus = (a: number | null | undefined, b: number | null | undefined, digits = 1) =>
    a === null || a === undefined || b === null || b === undefined ? null : round(a - b, digits);
  return {
    contacts: contacts.length,
    changed,
    changedBy,
    byRuleAndStage: [...cells.values()].sort((a, b) => b.changed - a.changed || b.contacts - a.contacts),
    baseline: baseFigures,
    draft: draftFigures,
    recorded: recordedFigures,
    calibration: {
      meanWaitSeconds: minus(baseFigures.waitSeconds?.mean, recordedFigures.waitSeconds?.mean),
      serviceLevel: minus(baseFigures.serviceLevel, recordedFigures.serviceLevel, 4),
      sameAgent: bothAnswered === 0 ? null : round(sameAgent / bothAnswered, 4),
    },
    delta: {
      meanWaitSeconds: minus(draftFigures.waitSeconds?.mean, baseFigures.waitSeconds?.mean),
      p90WaitSeconds: minus(draftFigures.waitSeconds?.p90, baseFigures.waitSeconds?.p90),
      serviceLevel: minus(draftFigures.serviceLevel, baseFigures.serviceLevel, 4),
      stickyHits: draftFigures.stickyHits - baseFigures.stickyHits,
      caseOwnerHits: draftFigures.caseOwnerHits - baseFigures.caseOwnerHits,
      abandoned: draftFigures.abandoned - baseFigures.abandoned,
    },
    sample,
  };
}

/** What happened to a contact in reality, in a run's terms (its rule and stage are not compared). */
function recordedOutcome(contact: ReplayContact): ReplayOutcome {
  const r = contact.recorded;
  const kind: ReplayOutcomeKind =
    r.otherLine !== null
      ? 'redirected'
      : r.waitSeconds !== null
        ? 'answered'
        : r.abandoned
          ? 'abandoned'
          : 'unanswered';
  return {
    kind,
    rule: null,
    stage: null,
    agentId: r.agentId,
    reason: r.reason,
    waitSeconds:
      kind === 'answered'
        ? r.waitSeconds
        : kind === 'abandoned' && contact.abandonAt !== null
          ? (contact.abandonAt.getTime() - contact.arrivedAt.getTime()) / 1000
          : null,
    otherLine: r.otherLine,
  };
}

export function figuresOf(outcomes: readonly ReplayOutcome[], serviceLevelSeconds: number): ReplayFigures {
  const waits: number[] = [];
  let abandoned = 0;
  let otherLine = 0;
  let overflow = 0;
  let unanswered = 0;
  let sticky = 0;
  let caseOwner = 0;
  let withinTarget = 0;
  for (const outcome of outcomes) {
    switch (outcome.kind) {
      case 'answered':
        waits.push(outcome.waitSeconds ?? 0);
        if ((outcome.waitSeconds ?? 0) <= serviceLevelSeconds) withinTarget++;
        if (outcome.reason === 'sticky') sticky++;
        if (outcome.reason === 'case_owner') caseOwner++;
        break;
      case 'abandoned':
        abandoned++;
        break;
      case 'redirected':
        otherLine++;
        break;
      case 'overflow':
        if (outcome.otherLine !== null) otherLine++;
        else overflow++;
        break;
      case 'unanswered':
        unanswered++;
        break;
    }
  }
  waits.sort((a, b) => a - b);
  const waited = waits.length + abandoned + unanswered;
  return {
    answered: waits.length,
    abandoned,
    otherLine,
    overflow,
    unanswered,
    waitSeconds:
      waits.length === 0
        ? null
        : {
            mean: round(waits.reduce((sum, w) => sum + w, 0) / waits.length),
            p50: round(percentile(waits, 0.5)),
            p90: round(percentile(waits, 0.9)),
            max: round(waits[waits.length - 1]),
          },
    serviceLevel: waited === 0 ? null : round(withinTarget / waited, 4),
    stickyHits: sticky,
    caseOwnerHits: caseOwner,
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
