export * from './agent.types';
export * from './agent.repository';
export * from './agents.module';
