import { DynamicModule, InjectionToken, Module } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { AgentRepository } from '@tether/agents';
import { AgentTokenService, SecretsService } from '@tether/auth';
import { TETHER_CONFIG } from '@tether/config';
import { CASES_SERVICES } from '@tether/cases';
import { INCIDENTS_SERVICES } from '@tether/incidents';
import { REPORTS_SERVICES } from '@tether/reports';
import { CONTACTS_SERVICES } from '@tether/contacts';
import { CustomerPrivacyService, CustomerRepository } from '@tether/customers';
import { LineDirectory } from '@tether/lines';
import { TetherMetrics } from '@tether/observability';
import { EventBus } from '@tether/realtime';
import { DurableScheduler } from '@tether/scheduler';
import { SUPERVISION_SERVICES } from '@tether/supervision';
import { TelephonyCallbackService } from '@tether/telephony';
import { USERS_SERVICES } from '@tether/users';
import { withoutLifecycleHooks } from './lifecycle-free';

/** What an app may inject from the core: the domain's public services and the infrastructure they stand on. */
export const SHARED_WITH_APPS: readonly InjectionToken[] = [
  TETHER_CONFIG,
  getDataSourceToken(),
  EventBus,
  TetherMetrics,
  DurableScheduler,
  SecretsService,
  AgentTokenService,
  AgentRepository,
  CustomerRepository,
  CustomerPrivacyService,
  TelephonyCallbackService,
  ...CASES_SERVICES,
  ...INCIDENTS_SERVICES,
  ...REPORTS_SERVICES,
  ...CONTACTS_SERVICES,
  ...SUPERVISION_SERVICES,
  LineDirectory,
  ...USERS_SERVICES,
];

/**
 * An app's window on the process's core: a global module whose providers are the core's own instances (by value,
 * minus their lifecycle hooks, which the core runs once). So an app builds no data source, bus, scheduler or
 * domain service of its own; it adds only its transport.
 */
@Module({})
export class CoreBridgeModule {
  static of(resolve: (token: InjectionToken) => object): DynamicModule {
    return {
      module: CoreBridgeModule,
      global: true,
      providers: SHARED_WITH_APPS.map((token) => ({
        provide: token,
        useValue: withoutLifecycleHooks(resolve(token)),
      })),
      exports: [...SHARED_WITH_APPS],
    };
  }
}
