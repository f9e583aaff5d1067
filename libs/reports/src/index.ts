export * from './report.types';
export * from './report-query';
export * from './csv';
export * from './report.service';
export * from './report-rollup.service';
export * from './survey.service';
export * from './reports.module';
export * from './live-gauges';
