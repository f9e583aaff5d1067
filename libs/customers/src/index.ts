export * from './customer.types';
export * from './customer-export.types';
export * from './phone-number';
export * from './customer.repository';
export * from './customer-privacy.service';
export * from './customers.module';
