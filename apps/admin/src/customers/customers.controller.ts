import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Customer, CustomerExport, CustomerPrivacyService, CustomerRepository } from '@tether/customers';
import { AuditedRead } from '../audit/audit-log.interceptor';
import { CreateCustomerDto } from './create-customer.dto';

@ApiTags('customers')
@ApiBearerAuth()
@Controller('v1/customers')
export class CustomersController {
  constructor(
    private readonly customers: CustomerRepository,
    private readonly privacy: CustomerPrivacyService,
  ) {}

  @Post()
  @ApiOperation({
    summary:
      'Register a customer; an unknown caller already seen on one of these numbers is adopted with their history',
  })
  create(@Body() body: CreateCustomerDto): Promise<{ id: string }> {
    return this.customers.create(body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'The customer with their recent contacts, newest first' })
  get(@Param('id') id: string): Promise<Customer> {
    return this.customers.get(id);
  }

  @Get(':id/export')
  @AuditedRead()
  @ApiOperation({
    summary:
      'Everything Tether holds about the customer: profile, identities, every contact with its numbers, IVR input, notes, resolution, times and offers',
  })
  export(@Param('id') id: string): Promise<CustomerExport> {
    return this.privacy.export(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Erase the customer: name, external ref and identities deleted; their contacts keep line, channel, times and resolution but lose caller number, number called, IVR input and notes. 409 while one of their contacts is in progress; 404 for an unknown or already erased id',
  })
  async erase(@Param('id') id: string): Promise<void> {
    await this.privacy.erase(id);
  }
}
