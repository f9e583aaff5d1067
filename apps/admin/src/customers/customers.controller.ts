import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Customer, CustomerRepository } from '@tether/customers';
import { CreateCustomerDto } from './create-customer.dto';

@ApiTags('customers')
@ApiBearerAuth()
@Controller('v1/customers')
export class CustomersController {
  constructor(private readonly customers: CustomerRepository) {}

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
}
