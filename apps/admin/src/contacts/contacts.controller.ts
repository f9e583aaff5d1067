import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@tether/auth';
import { ContactLifecycleService, ContactTraceView } from '@tether/contacts';
import { assertLine } from '../auth/line-scope';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';

/** Contacts: admins; supervisors on their lines. */
@ApiTags('contacts')
@Roles('admin', 'supervisor')
@ApiBearerAuth()
@Controller('v1/contacts')
export class ContactsController {
  constructor(private readonly contacts: ContactLifecycleService) {}

  @Get(':id/trace')
  @ApiOperation({
    summary:
      'How a contact was routed: the rule that matched at arrival, its stages, and every offer with the engine’s why',
  })
  async trace(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<ContactTraceView> {
    const trace = await this.contacts.trace(id);
    assertLine(principal, trace.line, `contact ${id}`);
    return trace;
  }
}
