import { Global, Module } from '@nestjs/common';
import { AgentTokenService } from './agent-token.service';
import { SecretsService } from './secrets.service';

@Global()
@Module({ providers: [SecretsService, AgentTokenService], exports: [SecretsService, AgentTokenService] })
export class AuthModule {}
