export * from './secrets.service';
export * from './agent-token.service';
export * from './agent-token-keys';
export * from './admin-token-file';
export * from './auth.module';
export * from './principal';
export * from './development-secrets';
