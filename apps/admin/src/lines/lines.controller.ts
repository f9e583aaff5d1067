import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseIntPipe,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ReplayReport,
  RoutingDraft,
  RoutingReplayService,
  RoutingRulesService,
  RoutingSimulator,
  RoutingVersionEntry,
  RulesView,
  Simulation,
} from '@tether/contacts';
import type { Line, RoutingRules } from '@tether/routing';
import { adminActorOf } from '../auth/admin-identity';
import { etagOf, versionsFromIfMatch } from './if-match';
import { LineParamPipe } from './line-param.pipe';
import { Roles } from '../auth/roles.decorator';
import { RoutingRulesDto } from './routing-rules.dto';
import { SimulateRoutingDto } from './simulate-routing.dto';
import { ReplayRoutingDto } from './replay-routing.dto';
import { ListRoutingVersionsDto, ROUTING_VERSIONS_DEFAULT, RollbackRoutingDto } from './routing-versions.dto';

const IF_MATCH = {
  name: 'If-Match',
  required: false,
  description:
    'the `version` (ETag) the change was made against, bare or quoted: 412 when the rules moved on since; without it the write applies',
};
const ETAG = { ETag: { description: 'the live `version`, quoted', schema: { type: 'string' } } };

/**
 * A line's routing rules: admins write them; a supervisor reads their lines' (rules, versions, draft) and simulates
 * (the `:line` is checked against their lines by AdminAuthGuard).
 */
@ApiTags('lines')
@ApiBearerAuth()
@Controller('v1/lines/:line/routing')
export class LinesController {
  constructor(
    private readonly rules: RoutingRulesService,
    private readonly simulator: RoutingSimulator,
    private readonly replayer: RoutingReplayService,
  ) {}

  @Get()
  @Roles('admin', 'supervisor')
  @ApiOperation({
    summary: "The line's routing rules (a valid PUT body), with their `version` (also the ETag)",
  })
  @ApiOkResponse({ headers: ETAG })
  async get(
    @Param('line', LineParamPipe) line: Line,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RulesView> {
    return withEtag(reply, await this.rules.view(line));
  }

  @Put()
  @ApiOperation({
    summary: "Replace the line's routing rules as a new version; applies to the next routing decision",
  })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ headers: ETAG })
  async put(
    @Param('line', LineParamPipe) line: Line,
    @Body() body: RoutingRulesDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RulesView> {
    // read-only fields of a GET body are accepted and ignored
    const { line: _l, version: _v, updatedAt: _u, warnings: _w, ...rules } = body;
    const write = { author: authorOf(request), expectedVersions: versionsFromIfMatch(ifMatch) };
    return withEtag(reply, await this.rules.replace(line, rules, write));
  }

  @Get('versions')
  @Roles('admin', 'supervisor')
  @ApiOperation({
    summary: "The line's routing versions, newest first: author, time, source and what each changed",
  })
  versions(
    @Param('line', LineParamPipe) line: Line,
    @Query() query: ListRoutingVersionsDto,
  ): Promise<RoutingVersionEntry[]> {
    return this.rules.versions(line, query.limit ?? ROUTING_VERSIONS_DEFAULT);
  }

  @Get('versions/:version')
  @Roles('admin', 'supervisor')
  @ApiOperation({ summary: 'The rules of one version, as written' })
  version(
    @Param('line', LineParamPipe) line: Line,
    @Param('version', ParseIntPipe) version: number,
  ): Promise<RoutingRules & { version: number; line: Line }> {
    return this.rules.version(line, version);
  }

  @Post('simulate')
  @Roles('admin', 'supervisor')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'What would happen to this contact now: the rule that matches, each stage with its candidates and why each other agent is out, the agent that would be offered it, the expected wait. Nothing is written.',
  })
  simulate(@Param('line', LineParamPipe) line: Line, @Body() body: SimulateRoutingDto): Promise<Simulation> {
    return this.simulator.simulate(line, {
      from: body.from,
      channel: body.channel,
      ivr: body.ivr,
      at: body.at === undefined ? undefined : new Date(body.at),
      version: body.version,
      draft: body.draft,
    });
  }

  @Post('replay')
  @Roles('admin', 'supervisor')
  @HttpCode(200)
  @ApiOperation({
    summary:
      "Replay the line's recorded contacts of a period (arrivals, agents' presence over time) under the live rules and under the draft (or a version): how many contacts the draft sends elsewhere, by rule and stage, and the change in waits, service level, sticky and case-owner hits and abandons, beside what was recorded. Nothing is written.",
  })
  replay(@Param('line', LineParamPipe) line: Line, @Body() body: ReplayRoutingDto): Promise<ReplayReport> {
    return this.replayer.replay(line, {
      from: new Date(body.from),
      to: new Date(body.to),
      draft: body.draft,
      version: body.version,
      serviceLevelSeconds: body.serviceLevelSeconds,
    });
  }

  @Get('draft')
  @Roles('admin', 'supervisor')
  @ApiOperation({
    summary: "The line's draft rules (404 without one), with the live version it was saved against",
  })
  draft(@Param('line', LineParamPipe) line: Line): Promise<RoutingDraft> {
    return this.rules.draft(line);
  }

  @Put('draft')
  @ApiOperation({
    summary:
      'Save draft rules (validated as a PUT is): nothing routes by them; simulate with `draft: true`, then activate',
  })
  saveDraft(
    @Param('line', LineParamPipe) line: Line,
    @Body() body: RoutingRulesDto,
    @Req() request: FastifyRequest,
  ): Promise<RoutingDraft> {
    const { line: _l, version: _v, updatedAt: _u, warnings: _w, ...rules } = body;
    return this.rules.saveDraft(line, rules, authorOf(request));
  }

  @Delete('draft')
  @HttpCode(204)
  @ApiOperation({ summary: 'Drop the draft' })
  deleteDraft(@Param('line', LineParamPipe) line: Line): Promise<void> {
    return this.rules.deleteDraft(line);
  }

  @Post('draft/activate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Make the draft the live rules as a new version (If-Match as for a PUT); the draft is gone',
  })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ headers: ETAG })
  async activateDraft(
    @Param('line', LineParamPipe) line: Line,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RulesView> {
    const write = { author: authorOf(request), expectedVersions: versionsFromIfMatch(ifMatch) };
    return withEtag(reply, await this.rules.activateDraft(line, write));
  }

  @Post('rollback')
  @HttpCode(200)
  @ApiOperation({
    summary: "Make an earlier version's rules live again (as a new version); applies to the next decision",
  })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ headers: ETAG })
  async rollback(
    @Param('line', LineParamPipe) line: Line,
    @Body() body: RollbackRoutingDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RulesView> {
    const write = { author: authorOf(request), expectedVersions: versionsFromIfMatch(ifMatch) };
    return withEtag(reply, await this.rules.rollback(line, body.version, write));
  }
}

function withEtag(reply: FastifyReply, view: RulesView): RulesView {
  void reply.header('etag', etagOf(view.version));
  return view;
}

/** the admin guard has identified every request that gets here */
function authorOf(request: FastifyRequest): string {
  return adminActorOf(request) ?? 'unknown';
}
