import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Principal } from '@tether/auth';
import { Incident, IncidentService } from '@tether/incidents';
import { assertAnyLine, scopedLine } from '../auth/line-scope';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { CreateIncidentDto, ListIncidentsDto, UpdateIncidentDto } from './incident.dto';

/** Incidents: admins declare and change them; supervisors read those of their lines. */
@ApiTags('incidents')
@ApiBearerAuth()
@Controller('v1/incidents')
export class IncidentsController {
  constructor(private readonly incidents: IncidentService) {}

  @Post()
  @ApiOperation({
    summary:
      'Declare an incident: who it affects (customer ids, phone prefixes, customer attributes, lines), what affected callers hear, the ETA; the affected customers are notified (TETHER_NOTIFY_URL)',
  })
  create(@Body() body: CreateIncidentDto): Promise<Incident> {
    return this.incidents.create(body);
  }

  @Get()
  @Roles('admin', 'supervisor')
  @ApiOperation({
    summary: 'Incidents, newest first; filter by status, active, line (a supervisor: one of theirs)',
  })
  list(@Query() query: ListIncidentsDto, @CurrentPrincipal() principal: Principal): Promise<Incident[]> {
    const { limit = 50, ...filter } = query;
    return this.incidents.list({ ...filter, line: scopedLine(principal, filter.line) }, limit);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One incident with its updates, linked contacts and notices sent' })
  @Roles('admin', 'supervisor')
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<Incident> {
    const incident = await this.incidents.get(id);
    // an incident scoped by customers or prefixes only (no lines) is an admin's to see
    assertAnyLine(principal, incident.affected.lines ?? [], `incident ${id}`);
    return incident;
  }

  @Patch(':id')
  @ApiOperation({
    summary:
      'Change an incident; a change of status or ETA, an `update` text, or the resolution is sent to the affected customers',
  })
  update(@Param('id') id: string, @Body() body: UpdateIncidentDto): Promise<Incident> {
    return this.incidents.update(id, body);
  }
}
