export * from './case.types';
export * from './case.service';
export * from './cases.module';
