import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ContactDispatcher, LineRoutingRepository } from '@tether/contacts';
import { Line, RoutingRules, mergeRoutingRules } from '@tether/routing';
import { LineParamPipe } from './line-param.pipe';
import { RoutingRulesDto } from './routing-rules.dto';

type RulesView = RoutingRules & { line: Line; version: number; updatedAt: string };

@ApiTags('lines')
@ApiBearerAuth()
@Controller('v1/lines/:line/routing')
export class LinesController {
  constructor(
    private readonly rules: LineRoutingRepository,
    private readonly dispatcher: ContactDispatcher,
  ) {}

  @Get()
  @ApiOperation({ summary: "The line's routing rules (a valid PUT body)" })
  async get(@Param('line', LineParamPipe) line: Line): Promise<RulesView> {
    return { line, ...(await this.rules.get(line)) };
  }

  @Put()
  @ApiOperation({ summary: "Replace the line's routing rules; applies to the next routing decision" })
  async put(@Param('line', LineParamPipe) line: Line, @Body() body: RoutingRulesDto): Promise<RulesView> {
    const { line: _l, version: _v, updatedAt: _u, ...rules } = body;
    await this.rules.put(line, mergeRoutingRules(rules));
    this.dispatcher.request(line);
    return { line, ...(await this.rules.get(line)) };
  }
}
