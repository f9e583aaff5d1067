import { PartialType } from '@nestjs/swagger';
import { CreateAgentDto } from './create-agent.dto';

/** PATCH: any subset of the create fields. */
export class UpdateAgentDto extends PartialType(CreateAgentDto) {}
