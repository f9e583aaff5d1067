import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsDefined,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
} from 'class-validator';
import { Channel, LINES, Line } from '@tether/routing';
import { IsCapacityMap, IsSkillMap } from './agent-fields.validators';

export class CreateAgentDto {
  @ApiProperty({ example: 'Anna Petrova' })
  @IsDefined()
  @MaxLength(200)
  @IsNotEmpty()
  @IsString()
  name: string;

  @ApiProperty({ enum: LINES, isArray: true, example: ['service'] })
  @IsDefined()
  @IsIn(LINES, { each: true, message: `lines must contain only: ${LINES.join(', ')}` })
  @ArrayMaxSize(3)
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
