import { Module } from '@nestjs/common';
import { CaseService } from './case.service';

/** What other libs and apps may use of the cases lib (the runtime bridges exactly these to every app). */
export const CASES_SERVICES = [CaseService] as const;

/** Cases: a customer's problem across contacts, with one owner. */
@Module({
  providers: [...CASES_SERVICES],
  exports: [...CASES_SERVICES],
})
export class CasesModule {}
