import { Module } from '@nestjs/common';
import { AgentsModule } from '@tether/agents';
import { CasesModule } from '@tether/cases';
import { ContactsModule } from '@tether/contacts';
import { ReportsModule } from '@tether/reports';
import { LiveViewService } from './live-view.service';
import { SupervisorActionsService } from './supervisor-actions.service';

/** What other libs and apps may use of the supervision lib (the runtime bridges exactly these to every app). */
export const SUPERVISION_SERVICES = [LiveViewService, SupervisorActionsService] as const;

/** The supervisors' live view and actions (apps/gateway's /supervisors is their transport). */
@Module({
  imports: [AgentsModule, CasesModule, ContactsModule, ReportsModule],
  providers: [...SUPERVISION_SERVICES],
  exports: [...SUPERVISION_SERVICES],
})
export class SupervisionModule {}
