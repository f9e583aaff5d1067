import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ContactLifecycleService, ContactTraceView } from '@tether/contacts';

@ApiTags('contacts')
@ApiBearerAuth()
@Controller('v1/contacts')
export class ContactsController {
  constructor(private readonly contacts: ContactLifecycleService) {}

  @Get(':id/trace')
  @ApiOperation({
    summary:
      'How a contact was routed: the rule that matched at arrival, its stages, and every offer with the engine’s why',
  })
  trace(@Param('id') id: string): Promise<ContactTraceView> {
    return this.contacts.trace(id);
  }
}
