import { Module } from '@nestjs/common';
import { LinesModule } from '@tether/lines';
import { IncidentService } from './incident.service';

/** What other libs and apps may use of the incidents lib (the runtime bridges exactly these to every app). */
export const INCIDENTS_SERVICES = [IncidentService] as const;

/** Incidents: announced to the callers they affect, pushed to the customers they affect. */
@Module({
  imports: [LinesModule],
  providers: [...INCIDENTS_SERVICES],
  exports: [...INCIDENTS_SERVICES],
})
export class IncidentsModule {}
