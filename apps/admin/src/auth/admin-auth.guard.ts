import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { SecretsService } from '@tether/auth';
import { PUBLIC_ROUTE } from '@tether/transport';

/** Every admin route needs `Authorization: Bearer <admin token>` unless marked @Public(). */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    private readonly secrets: SecretsService,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()]))
      return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match)
      throw new UnauthorizedException({
        statusCode: 401,
        error: 'unauthorized',
        message: 'missing bearer token (Authorization: Bearer <admin token>)',
      });
    if (!this.secrets.isAdminToken(match[1])) {
      throw new UnauthorizedException({
        statusCode: 401,
        error: 'unauthorized',
        message: 'invalid admin token',
      });
    }
    return true;
  }
}
