export * from './secrets.service';
export * from './agent-token.service';
export * from './auth.module';
