import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ConflictError, NotFoundError, ValidationFailed } from '@tether/errors';
import { one } from '@tether/persistence';

export interface NewSurvey {
  /** the call's id on this line (voice), or */
  callId?: string;
  /** the contact's id (any channel) */
  contactId?: string;
  score: number;
  /** the highest score, e.g. 5 */
  scale: number;
  comment?: string;
}

export interface Survey {
  id: string;
  contactId: string;
  agentId: string | null;
  caseId: string | null;
  score: number;
  scale: number;
  /** @format date-time */
  createdAt: string;
  /** false when the same result was recorded before (a retry) */
  created: boolean;
}

interface RecordedRow {
  outcome: 'recorded' | 'same' | 'conflict' | 'not_found';
  survey_id: string | null;
  contact_id: string | null;
  agent_id: string | null;
  case_id: string | null;
  created_at: Date | null;
}

/** Post-contact survey results (CSAT) posted back by the IVR or SMS side, one per contact. */
@Injectable()
export class SurveyService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Records the survey of this line's contact. The same result again is the same survey (`created: false`);
   * another result for a contact that has one is a ConflictError.
   */
  async record(line: string, survey: NewSurvey): Promise<Survey> {
    if ((survey.callId === undefined) === (survey.contactId === undefined))
      throw new ValidationFailed('callId or contactId: exactly one of them must be given');
    if (!Number.isInteger(survey.score) || survey.score < 1 || survey.score > survey.scale)
      throw new ValidationFailed(`score must be an integer from 1 to scale (${survey.scale})`);
    const row = await one<RecordedRow>(
      this.db,
      `SELECT * FROM tether_record_survey($1, $2, $3, $4, $5, $6)`,
      [
        line,
        survey.callId ?? null,
        survey.contactId ?? null,
        survey.score,
        survey.scale,
        survey.comment ?? null,
      ],
    );
    if (!row || row.outcome === 'not_found')
      throw survey.callId !== undefined
        ? new NotFoundError('Call', survey.callId)
        : new NotFoundError('Contact', survey.contactId!);
    if (row.outcome === 'conflict')
      throw new ConflictError(
        'survey_already_recorded',
        `contact ${row.contact_id} already has a survey result (${row.survey_id}) with another score`,
      );
    return {
      id: row.survey_id!,
      contactId: row.contact_id!,
      agentId: row.agent_id,
      caseId: row.case_id,
      score: survey.score,
      scale: survey.scale,
      createdAt: row.created_at!.toISOString(),
      created: row.outcome === 'recorded',
    };
  }
}
