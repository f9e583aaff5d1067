export * from './line.types';
export * from './line.errors';
export * from './line-lock-key';
export * from './line-directory';
export * from './lines.module';
