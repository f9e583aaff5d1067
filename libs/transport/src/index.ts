export * from './validation.pipe';
export * from './domain-exception.filter';
export * from './raw-json-body';
export * from './health.controller';
export * from './app-base.module';
export * from './create-http-app';
export * from './json-body.pipe';
export * from './public-route.decorator';
