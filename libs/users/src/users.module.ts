import { Module } from '@nestjs/common';
import { LinesModule } from '@tether/lines';
import { UserRepository } from './user.repository';
import { UserTokenService } from './user-token.service';

/** What the core shares with the apps (the admin API, the supervisors' handshake). */
export const USERS_SERVICES = [UserRepository, UserTokenService];

@Module({ imports: [LinesModule], providers: USERS_SERVICES, exports: USERS_SERVICES })
export class UsersModule {}
