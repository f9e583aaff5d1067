export * from './line-app.module';
export * from './line.token';
export * from './start-call.dto';
export * from './call-event.dto';
export * from './build-line-app';
export * from './run-line-app';
