import { DynamicModule, Inject, Module, OnApplicationBootstrap } from '@nestjs/common';
import { AgentPresenceService } from '@tether/contacts';
import type { TetherCore } from '@tether/runtime';
import { AppBaseModule } from '@tether/transport';
import { AgentsGateway } from './agents/agents.gateway';
import { SupervisorsGateway } from './supervisors/supervisors.gateway';
import { HandshakeLimiter } from './handshake-limiter';

@Module({})
export class GatewayModule implements OnApplicationBootstrap {
  constructor(@Inject(AgentPresenceService) private readonly presence: AgentPresenceService) {}

  static forRoot(core: TetherCore): DynamicModule {
    return {
      module: GatewayModule,
      imports: [AppBaseModule.forApp(core, 'gateway')],
      providers: [HandshakeLimiter, AgentsGateway, SupervisorsGateway],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.presence.startHeartbeat('gateway');
  }
}
