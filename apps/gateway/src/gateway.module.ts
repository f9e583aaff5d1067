import { DynamicModule, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { AgentsModule } from '@tether/agents';
import { TetherConfig } from '@tether/config';
import { AgentPresenceService, ContactsModule } from '@tether/contacts';
import { LinesModule } from '@tether/lines';
import { CoreModule } from '@tether/transport';
import { AgentsGateway } from './agents/agents.gateway';
import { SupervisorsGateway } from './supervisors/supervisors.gateway';

@Module({})
export class GatewayModule implements OnApplicationBootstrap {
  constructor(@Inject(AgentPresenceService) private readonly presence: AgentPresenceService) {}

  static forRoot(config: TetherConfig & { databaseUrl: string }): DynamicModule {
    return {
      module: GatewayModule,
      imports: [CoreModule.forRoot(config, 'gateway'), AgentsModule, ContactsModule, LinesModule],
      providers: [AgentsGateway, SupervisorsGateway],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.presence.startHeartbeat('gateway');
  }
}
