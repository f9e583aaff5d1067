import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  Customer,
  CustomerExport,
  CustomerPrivacyService,
  CustomerRepository,
  IDENTITY_KINDS,
  IdentityKind,
} from '@tether/customers';
import { CustomerMergeService } from '@tether/contacts';
import { ValidationFailed } from '@tether/errors';
import type { FastifyRequest } from 'fastify';
import { AuditedRead } from '../audit/audit-log.interceptor';
import { adminActorOf } from '../auth/admin-identity';
import { CreateCustomerDto, CustomerIdentityDto, MergeCustomerDto } from './create-customer.dto';

@ApiTags('customers')
@ApiBearerAuth()
@Controller('v1/customers')
export class CustomersController {
  constructor(
    private readonly customers: CustomerRepository,
    private readonly privacy: CustomerPrivacyService,
    private readonly merger: CustomerMergeService,
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

  @Post(':id/identities')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Attach an identity (phone, e-mail, handle) to the customer: their next call or message by it is theirs. 409 when it belongs to another customer (merge them instead); 404 for an unknown, erased or merged-away customer',
  })
  attach(@Param('id') id: string, @Body() body: CustomerIdentityDto): Promise<Customer> {
    return this.customers.attachIdentity(id, body.kind, body.value);
  }

  @Delete(':id/identities/:kind/:value')
  @HttpCode(204)
  @ApiOperation({
    summary:
      "Detach one of the customer's identities (the value URL-encoded): their next contact by it is a new, unknown customer's. 404 when the customer does not hold it",
  })
  async detach(
    @Param('id') id: string,
    @Param('kind') kind: string,
    @Param('value') value: string,
  ): Promise<void> {
    if (!(IDENTITY_KINDS as readonly string[]).includes(kind))
      throw new ValidationFailed(`kind must be one of: ${IDENTITY_KINDS.join(', ')}`);
    await this.customers.detachIdentity(id, kind as IdentityKind, value);
  }

  @Post(':id/merge')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Merge another customer into this one, in one transaction: identities, contacts and their messages, cases, callbacks, notices, events and surveys become this customer's (the next contact by any identity routes by the whole history: last agent, case owner); the other id stays as a pointer and resolves to this one. Every line's never-match pairs naming the other customer name this one from then on (a new rules version, source merge). 400 for the same id, 404 for an unknown, erased or merged-away one. Audited",
  })
  merge(
    @Param('id') id: string,
    @Body() body: MergeCustomerDto,
    @Req() request: FastifyRequest,
  ): Promise<Customer> {
    // the admin guard has identified every request that gets here
    return this.merger.merge(id, body.from, adminActorOf(request) ?? 'unknown');
  }

  @Get(':id/export')
  @AuditedRead()
  @ApiOperation({
    summary:
      'Everything Tether holds about the customer: profile, identities, every contact with its numbers, IVR input, notes, resolution, times and offers. A merged-away id exports the customer it was merged into',
  })
  export(@Param('id') id: string): Promise<CustomerExport> {
    return this.privacy.export(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Erase the customer: name, external ref and identities deleted; their contacts keep line, channel, times and resolution but lose caller number, number called, IVR input and notes. 409 while one of their contacts is in progress; 404 for an unknown or already erased id. A merged-away id erases the customer it was merged into; every id merged into an erased customer goes with it',
  })
  async erase(@Param('id') id: string): Promise<void> {
    await this.privacy.erase(id);
  }
}
