import { Body, Controller, Get, Param, Patch, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AgentRepository } from '@tether/agents';
import type { Principal } from '@tether/auth';
import { CaseService, CaseStory, CaseSummary } from '@tether/cases';
import { assertAnyLine, assertLine, scopedLine } from '../auth/line-scope';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';
import { CASES_PAGE_DEFAULT, CASES_PAGE_MAX, ListCasesDto, UpdateCaseDto } from './case.dto';

/** Cases: admins; supervisors on their lines (read, hand over to an agent of their lines). */
@ApiTags('cases')
@Roles('admin', 'supervisor')
@ApiBearerAuth()
@Controller('v1/cases')
export class CasesController {
  constructor(
    private readonly cases: CaseService,
    private readonly agents: AgentRepository,
  ) {}

  @Get()
  @ApiOperation({
    summary: `List cases, newest first, filtered by owner, status, line, customer, team or overdue; ${CASES_PAGE_DEFAULT} per page by default (at most ${CASES_PAGE_MAX})`,
  })
  @ApiOkResponse({
    headers: {
      Link: {
        description: 'while more cases follow: `</v1/cases?…&cursor=<id>>; rel="next"`',
        schema: { type: 'string' },
      },
    },
  })
  async list(
    @Query() query: ListCasesDto,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CaseSummary[]> {
    const { limit = CASES_PAGE_DEFAULT, cursor, ...asked } = query;
    const filter = { ...asked, line: scopedLine(principal, asked.line) };
    const page = await this.cases.list(filter, limit, cursor);
    if (page.next) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(filter))
        if (value !== undefined) params.set(key, String(value));
      params.set('limit', String(limit));
      params.set('cursor', page.next);
      void reply.header('link', `</v1/cases?${params.toString()}>; rel="next"`);
    }
    return page.cases;
  }

  @Get(':id')
  @ApiOperation({
    summary: 'One case: the story so far (owner, status, age, latest contacts with notes, promises)',
  })
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<CaseStory> {
    const story = await this.cases.story(id);
    assertLine(principal, story.line, `case ${id}`);
    return story;
  }

  @Patch(':id')
  @ApiOperation({
    summary:
      'Change subject, status, team or due time, or hand the case over (`ownerId`): the new owner is notified over the socket',
  })
  async update(
    @Param('id') id: string,
    @Body() body: UpdateCaseDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CaseStory> {
    if (principal.lines !== 'all') {
      assertLine(principal, (await this.cases.story(id)).line, `case ${id}`);
      if (body.ownerId)
        assertAnyLine(principal, (await this.agents.get(body.ownerId)).lines, `agent ${body.ownerId}`);
    }
    return this.cases.update(id, body);
  }
}
