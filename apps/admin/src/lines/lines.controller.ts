import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RoutingRulesService, RulesView } from '@tether/contacts';
import type { Line } from '@tether/routing';
import { LineParamPipe } from './line-param.pipe';
import { RoutingRulesDto } from './routing-rules.dto';

@ApiTags('lines')
@ApiBearerAuth()
@Controller('v1/lines/:line/routing')
export class LinesController {
  constructor(private readonly rules: RoutingRulesService) {}

  @Get()
  @ApiOperation({ summary: "The line's routing rules (a valid PUT body)" })
  get(@Param('line', LineParamPipe) line: Line): Promise<RulesView> {
    return this.rules.view(line);
  }

  @Put()
  @ApiOperation({ summary: "Replace the line's routing rules; applies to the next routing decision" })
  put(@Param('line', LineParamPipe) line: Line, @Body() body: RoutingRulesDto): Promise<RulesView> {
    // read-only fields of a GET body are accepted and ignored
    const { line: _l, version: _v, updatedAt: _u, ...rules } = body;
    return this.rules.replace(line, rules);
  }
}
