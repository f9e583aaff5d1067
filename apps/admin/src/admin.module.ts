import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { TetherCore } from '@tether/runtime';
import { AppBaseModule } from '@tether/transport';
import { AgentsController } from './agents/agents.controller';
import { AuditLogInterceptor } from './audit/audit-log.interceptor';
import { AdminAuthGuard } from './auth/admin-auth.guard';
import { CustomersController } from './customers/customers.controller';
import { LinesController } from './lines/lines.controller';

@Module({})
export class AdminModule {
  static forRoot(core: TetherCore): DynamicModule {
    return {
      module: AdminModule,
      imports: [AppBaseModule.forApp(core, 'admin')],
      controllers: [AgentsController, CustomersController, LinesController],
      providers: [
        { provide: APP_GUARD, useClass: ThrottlerGuard },
        { provide: APP_GUARD, useClass: AdminAuthGuard },
        { provide: APP_INTERCEPTOR, useClass: AuditLogInterceptor },
      ],
    };
  }
}
