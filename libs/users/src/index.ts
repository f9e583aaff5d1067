export * from './user.types';
export * from './users.errors';
export * from './user.repository';
export * from './user-token.service';
export * from './users.module';
