import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Agent, AgentRepository } from '@tether/agents';
import type { AgentTokenInfo, Principal } from '@tether/auth';
import { AgentRosterService } from '@tether/contacts';
import { CreateAgentDto } from './create-agent.dto';
import { AGENTS_PAGE_DEFAULT, AGENTS_PAGE_MAX, ListAgentsDto } from './list-agents.dto';
import { UpdateAgentDto } from './update-agent.dto';
import { assertAnyLine } from '../auth/line-scope';
import { CurrentPrincipal, Roles } from '../auth/roles.decorator';

/** Agents and their tokens: admins; a supervisor may read one agent of their lines. */
@ApiTags('agents')
@ApiBearerAuth()
@Controller('v1/agents')
export class AgentsController {
  constructor(
    private readonly agents: AgentRepository,
    private readonly roster: AgentRosterService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create an agent (lines, skills, per-channel capacity)' })
  create(@Body() body: CreateAgentDto): Promise<Agent> {
    return this.agents.create(body);
  }

  @Get()
  @ApiOperation({
    summary: `List agents, oldest first, ${AGENTS_PAGE_DEFAULT} per page by default (at most ${AGENTS_PAGE_MAX})`,
  })
  @ApiOkResponse({
    headers: {
      Link: {
        description: 'while more agents follow: `</v1/agents?limit=<limit>&cursor=<id>>; rel="next"`',
        schema: { type: 'string' },
      },
    },
  })
  async list(
    @Query() query: ListAgentsDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Agent[]> {
    const limit = query.limit ?? AGENTS_PAGE_DEFAULT;
    const page = await this.agents.listPage(limit, query.cursor);
    if (page.next) void reply.header('link', `</v1/agents?limit=${limit}&cursor=${page.next}>; rel="next"`);
    return page.agents;
  }

  @Get(':id')
  @Roles('admin', 'supervisor')
  @ApiOperation({ summary: 'One agent (a supervisor: an agent on one of their lines)' })
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<Agent> {
    const agent = await this.agents.get(id);
    assertAnyLine(principal, agent.lines, `agent ${id}`);
    return agent;
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change name, lines, skills or capacity; applies to the next routing decision' })
  update(@Param('id') id: string, @Body() body: UpdateAgentDto): Promise<Agent> {
    return this.roster.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove an agent: tokens revoked, pending offers revoked and re-routed; history kept',
  })
  remove(@Param('id') id: string): Promise<void> {
    return this.roster.remove(id);
  }

  @Post(':id/tokens')
  @ApiOperation({
    summary:
      'Issue a token the agent uses to connect to the /agents socket.io namespace (and its id, to revoke it)',
  })
  issueToken(
    @Param('id') id: string,
  ): Promise<{ token: string; tokenId: string; expiresAt: string; agentId: string }> {
    return this.roster.issueToken(id);
  }

  @Get(':id/tokens')
  @ApiOperation({
    summary:
      'The agent’s tokens that can still connect (neither revoked nor expired), newest first: id, createdAt, expiresAt, lastUsedAt (last socket handshake, to the minute). Never the token itself',
  })
  tokens(@Param('id') id: string): Promise<AgentTokenInfo[]> {
    return this.roster.tokensOf(id);
  }

  @Delete(':id/tokens/:tokenId')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Revoke one token: refused at the next handshake, and the sockets opened with it are closed within a second on every gateway. Idempotent; 404 for an unknown agent or token',
  })
  revokeToken(@Param('id') id: string, @Param('tokenId') tokenId: string): Promise<void> {
    return this.roster.revokeToken(id, tokenId);
  }

  @Delete(':id/tokens')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke every token of the agent: all their sockets are closed within a second on every gateway',
  })
  revokeTokens(@Param('id') id: string): Promise<void> {
    return this.roster.revokeTokens(id);
  }
}
