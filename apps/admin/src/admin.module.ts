import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ThrottlerGuard } from '@nestjs/throttler';
import { AgentsModule } from '@tether/agents';
import { TetherConfig } from '@tether/config';
import { ContactsModule } from '@tether/contacts';
import { CustomersModule } from '@tether/customers';
import { LinesModule } from '@tether/lines';
import { CoreModule } from '@tether/transport';
import { AgentsController } from './agents/agents.controller';
import { AuditLogInterceptor } from './audit/audit-log.interceptor';
import { AdminAuthGuard } from './auth/admin-auth.guard';
import { CustomersController } from './customers/customers.controller';
import { LinesController } from './lines/lines.controller';

@Module({})
export class AdminModule {
  static forRoot(config: TetherConfig & { databaseUrl: string }): DynamicModule {
    return {
      module: AdminModule,
      imports: [
        CoreModule.forRoot(config, 'admin'),
        AgentsModule,
        CustomersModule,
        ContactsModule,
        LinesModule,
      ],
      controllers: [AgentsController, CustomersController, LinesController],
      providers: [
        { provide: APP_GUARD, useClass: ThrottlerGuard },
        { provide: APP_GUARD, useClass: AdminAuthGuard },
        { provide: APP_INTERCEPTOR, useClass: AuditLogInterceptor },
      ],
    };
  }
}
