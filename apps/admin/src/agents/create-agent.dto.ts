import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsDefined,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
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

  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    description:
      'another agent who takes this agent’s case customers when they cannot (offline, or the wait for them is over) and their open cases when this agent is removed; null to clear',
  })
  @IsOptional()
  @IsUUID()
  deputyId?: string | null;

  @ApiPropertyOptional({
    example: 'billing',
    nullable: true,
    description:
      'the agent’s team: a case’s team takes its customers after the owner’s deputy; null to clear',
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/, {
    message: 'team must be 1-64 letters, digits, spaces, _ . or - (starting with a letter or digit)',
  })
  @IsString()
  team?: string | null;

  @ApiPropertyOptional({
    example: 'client:alice',
    nullable: true,
    description:
      'where Twilio bridges this agent’s calls: `client:<identity>` (Twilio Client / Voice SDK) or `sip:<uri>`; default (null): the Client identity is the agent’s id',
  })
  @IsOptional()
  @Matches(/^(client:[A-Za-z0-9_.@-]{1,120}|sip:[^\s<>"]{3,250})$/, {
    message: 'voiceEndpoint must be client:<identity> (letters, digits, _ . @ -) or sip:<uri>',
  })
  @IsString()
  voiceEndpoint?: string | null;
}
