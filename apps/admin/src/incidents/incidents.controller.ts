import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Incident, IncidentService } from '@tether/incidents';
import { CreateIncidentDto, ListIncidentsDto, UpdateIncidentDto } from './incident.dto';

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
  @ApiOperation({ summary: 'Incidents, newest first; filter by status, active, line' })
  list(@Query() query: ListIncidentsDto): Promise<Incident[]> {
    const { limit = 50, ...filter } = query;
    return this.incidents.list(filter, limit);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One incident with its updates, linked contacts and notices sent' })
  get(@Param('id') id: string): Promise<Incident> {
    return this.incidents.get(id);
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
