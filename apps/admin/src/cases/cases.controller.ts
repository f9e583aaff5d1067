import { Body, Controller, Get, Param, Patch, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CaseService, CaseStory, CaseSummary } from '@tether/cases';
import { CASES_PAGE_DEFAULT, CASES_PAGE_MAX, ListCasesDto, UpdateCaseDto } from './case.dto';

@ApiTags('cases')
@ApiBearerAuth()
@Controller('v1/cases')
export class CasesController {
  constructor(private readonly cases: CaseService) {}

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
  ): Promise<CaseSummary[]> {
    const { limit = CASES_PAGE_DEFAULT, cursor, ...filter } = query;
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
  get(@Param('id') id: string): Promise<CaseStory> {
    return this.cases.story(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary:
      'Change subject, status, team or due time, or hand the case over (`ownerId`): the new owner is notified over the socket',
  })
  update(@Param('id') id: string, @Body() body: UpdateCaseDto): Promise<CaseStory> {
    return this.cases.update(id, body);
  }
}
