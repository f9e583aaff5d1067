export * from './live-view.service';
export type * from './live-view.types';
export * from './supervisor-actions.service';
export * from './supervision.module';
