import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Agent, AgentRepository } from '@tether/agents';
import { AgentTokenService } from '@tether/auth';
import { ContactDispatcher, OfferService } from '@tether/contacts';
import { EventBus } from '@tether/realtime';
import { CreateAgentDto } from './create-agent.dto';
import { UpdateAgentDto } from './update-agent.dto';

@ApiTags('agents')
@ApiBearerAuth()
@Controller('v1/agents')
export class AgentsController {
  constructor(
    private readonly agents: AgentRepository,
    private readonly tokens: AgentTokenService,
    private readonly offers: OfferService,
    private readonly dispatcher: ContactDispatcher,
    private readonly bus: EventBus,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create an agent (lines, skills, per-channel capacity)' })
  create(@Body() body: CreateAgentDto): Promise<Agent> {
    return this.agents.create(body);
  }

  @Get()
  list(): Promise<Agent[]> {
    return this.agents.list();
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<Agent> {
    return this.agents.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change name, lines, skills or capacity; applies to the next routing decision' })
  async update(@Param('id') id: string, @Body() body: UpdateAgentDto): Promise<Agent> {
    const agent = await this.agents.update(id, body);
    await this.bus.publish({ type: 'agent.updated', agentId: id, lines: agent.lines });
    this.dispatcher.requestAll();
    return agent;
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove an agent: tokens revoked, pending offers revoked and re-routed; history kept',
  })
  async remove(@Param('id') id: string): Promise<void> {
    await this.agents.remove(id);
    await this.offers.revokeAllFor(id, 'agent_removed');
    await this.bus.publish({ type: 'agent.removed', agentId: id });
  }

  @Post(':id/tokens')
  @ApiOperation({ summary: 'Issue a token the agent uses to connect to the /agents socket.io namespace' })
  async issueToken(@Param('id') id: string): Promise<{ token: string; expiresAt: string; agentId: string }> {
    await this.agents.get(id);
    return { agentId: id, ...(await this.tokens.issue(id)) };
  }
}
