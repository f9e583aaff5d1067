export * from './customer.types';
export * from './phone-number';
export * from './customer.repository';
export * from './customers.module';
