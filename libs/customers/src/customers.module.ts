import { Module } from '@nestjs/common';
import { CustomerPrivacyService } from './customer-privacy.service';
import { CustomerRepository } from './customer.repository';

@Module({
  providers: [CustomerRepository, CustomerPrivacyService],
  exports: [CustomerRepository, CustomerPrivacyService],
})
export class CustomersModule {}
