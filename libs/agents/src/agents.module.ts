import { Module } from '@nestjs/common';
import { AgentRepository } from './agent.repository';

@Module({ providers: [AgentRepository], exports: [AgentRepository] })
export class AgentsModule {}
