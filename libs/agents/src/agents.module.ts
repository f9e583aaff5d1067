import { Module } from '@nestjs/common';
import { LinesModule } from '@tether/lines';
import { AgentRepository } from './agent.repository';

@Module({ imports: [LinesModule], providers: [AgentRepository], exports: [AgentRepository] })
export class AgentsModule {}
