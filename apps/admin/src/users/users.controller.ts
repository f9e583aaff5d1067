import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { IssuedUserToken, User, UserRepository, UserTokenInfo, UserTokenService } from '@tether/users';
import {
  CreateUserDto,
  IssueUserTokenDto,
  ListUsersDto,
  UpdateUserDto,
  USERS_PAGE_DEFAULT,
  USERS_PAGE_MAX,
} from './user.dto';

/** Named users and their API tokens: admins only (no @Roles: the default). */
@ApiTags('users')
@ApiBearerAuth()
@Controller('v1/users')
export class UsersController {
  constructor(
    private readonly users: UserRepository,
    private readonly tokens: UserTokenService,
  ) {}

  @Post()
  @ApiOperation({
    summary:
      'Create a user: `admin` (every line), `supervisor` (their `lines`) or `agent` (linked to `agentId`). 409 for a name taken or an agent already linked',
  })
  create(@Body() body: CreateUserDto): Promise<User> {
    return this.users.create(body);
  }

  @Get()
  @ApiOperation({
    summary: `List users, oldest first, ${USERS_PAGE_DEFAULT} per page by default (at most ${USERS_PAGE_MAX})`,
  })
  @ApiOkResponse({
    headers: {
      Link: {
        description: 'while more users follow: `</v1/users?limit=<limit>&cursor=<id>>; rel="next"`',
        schema: { type: 'string' },
      },
    },
  })
  async list(@Query() query: ListUsersDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<User[]> {
    const limit = query.limit ?? USERS_PAGE_DEFAULT;
    const page = await this.users.listPage(limit, query.cursor);
    if (page.next) void reply.header('link', `</v1/users?limit=${limit}&cursor=${page.next}>; rel="next"`);
    return page.users;
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<User> {
    return this.users.get(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary:
      'Change name, role, lines or agent; the user’s tokens carry the new role and lines within a second',
  })
  async update(@Param('id') id: string, @Body() body: UpdateUserDto): Promise<User> {
    const user = await this.users.update(id, body);
    this.tokens.forget(id);
    return user;
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a user and their tokens (refused within a second); the audit log keeps user:<id>',
  })
  async remove(@Param('id') id: string): Promise<void> {
    await this.users.remove(id);
    this.tokens.forget(id);
  }

  @Post(':id/tokens')
  @ApiOperation({
    summary:
      'Issue an API token for the user (shown once; kept hashed): `Authorization: Bearer <token>` on the admin API, `auth: { token }` on /supervisors',
  })
  issueToken(@Param('id') id: string, @Query() query: IssueUserTokenDto): Promise<IssuedUserToken> {
    return this.tokens.issue(id, query.ttlSeconds);
  }

  @Get(':id/tokens')
  @ApiOperation({
    summary:
      'The user’s tokens that still work, newest first: id, createdAt, expiresAt, lastUsedAt (to the minute). Never the token itself',
  })
  listTokens(@Param('id') id: string): Promise<UserTokenInfo[]> {
    return this.tokens.list(id);
  }

  @Delete(':id/tokens/:tokenId')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke one token: refused within a second. Idempotent; 404 for an unknown user or token',
  })
  revokeToken(@Param('id') id: string, @Param('tokenId') tokenId: string): Promise<void> {
    return this.tokens.revoke(id, tokenId);
  }

  @Delete(':id/tokens')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke every token of the user' })
  revokeTokens(@Param('id') id: string): Promise<void> {
    return this.tokens.revokeAll(id);
  }
}
