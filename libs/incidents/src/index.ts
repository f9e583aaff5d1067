export * from './incident.types';
export * from './incident.service';
export * from './incidents.module';
