import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import type { TetherCore } from '@tether/runtime';
import { AppBaseModule } from '@tether/transport';
import { AgentsController } from './agents/agents.controller';
import { CallbacksController } from './callbacks/callbacks.controller';
import { CasesController } from './cases/cases.controller';
import { ConsoleController } from './console/console.controller';
import { IncidentsController } from './incidents/incidents.controller';
import { AuditLogInterceptor } from './audit/audit-log.interceptor';
import { AuditLogService } from './audit/audit-log.service';
import { AdminAuthGuard, AdminIdentityGuard } from './auth/admin-auth.guard';
import { AdminIdentityResolver } from './auth/admin-identity';
import { AdminThrottlerGuard } from './auth/admin-throttler.guard';
import { adminThrottlers } from './auth/admin-throttlers';
import { ContactsController } from './contacts/contacts.controller';
import { CustomersController } from './customers/customers.controller';
import { LinesController } from './lines/lines.controller';
import { ReportsController } from './reports/reports.controller';
import { UsersController } from './users/users.controller';

@Module({})
export class AdminModule {
  static forRoot(core: TetherCore): DynamicModule {
    return {
      module: AdminModule,
      imports: [AppBaseModule.forApp(core, 'admin', { throttlers: () => adminThrottlers(core.config) })],
      controllers: [
        AgentsController,
        CasesController,
        CallbacksController,
        ConsoleController,
        ContactsController,
        CustomersController,
        IncidentsController,
        LinesController,
        ReportsController,
        UsersController,
      ],
      providers: [
        AuditLogService,
        AdminIdentityResolver,
        // in this order: the token is resolved to a principal (once), the throttler puts each request in its bucket
        // (its token's, or its address's refused attempts), then the auth guard refuses what has no valid token or
        // a role the route does not allow
        { provide: APP_GUARD, useClass: AdminIdentityGuard },
        { provide: APP_GUARD, useClass: AdminThrottlerGuard },
        { provide: APP_GUARD, useClass: AdminAuthGuard },
        { provide: APP_INTERCEPTOR, useClass: AuditLogInterceptor },
      ],
    };
  }
}
