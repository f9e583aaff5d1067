import { Module } from '@nestjs/common';
import { LiveGauges } from './live-gauges';
import { ReportRollupService } from './report-rollup.service';
import { ReportService } from './report.service';
import { SurveyService } from './survey.service';

/** What other libs and apps may use of the reports lib (the runtime bridges exactly these to every app). */
export const REPORTS_SERVICES = [ReportService, SurveyService] as const;

/** Outcome reports over the contact event history, and the surveys (CSAT) they join. */
@Module({
  providers: [...REPORTS_SERVICES, LiveGauges, ReportRollupService],
  exports: [...REPORTS_SERVICES],
})
export class ReportsModule {}
