import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsDefined,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { LINE_NAME_PATTERN } from '@tether/lines';
import { Channel, Line } from '@tether/routing';
import { IsCapacityMap, IsSkillMap } from './agent-fields.validators';

export class CreateAgentDto {
  @ApiProperty({ example: 'Anna Petrova' })
  @IsDefined()
  @MaxLength(200)
  @IsNotEmpty()
  @IsString()
  name: string;

  @ApiProperty({
    type: [String],
    example: ['service'],
    description: 'names of defined lines (rows of the lines table; sales, presales and service by default)',
  })
  @IsDefined()
  // whether each is a defined line is data, checked by AgentRepository (400 naming `lines` too)
  @Matches(LINE_NAME_PATTERN, { each: true, message: 'lines must contain only line names (a-z, 0-9, _)' })
  @IsString({ each: true })
  @ArrayMaxSize(100)
  @ArrayNotEmpty()
  @IsArray()
  lines: Line[];

  @ApiPropertyOptional({ example: { billing: 7 }, description: 'skill -> level 1-10' })
  @IsOptional()
  @IsSkillMap()
  skills?: Record<string, number>;

  @ApiPropertyOptional({
    example: { voice: 1, chat: 3 },
    description: 'channel -> concurrent contacts; default {"voice": 1}',
  })
  @IsOptional()
  @IsCapacityMap()
  capacity?: Partial<Record<Channel, number>>;
}
