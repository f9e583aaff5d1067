import { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import { createValidationPipe } from './validation.pipe';
import { JsonBodyPipe } from './json-body.pipe';
import { DomainExceptionFilter } from './domain-exception.filter';
import { registerFormParser, registerRawJsonParser } from './raw-json-body';
import { TrustedProxies } from './trusted-proxies';
import { cacheValidationMetadata } from './validation-metadata-cache';

export interface HttpAppOptions {
  module: DynamicModule;
  bodyLimitBytes: number;
  /** `TETHER_TRUSTED_PROXIES` (`config.trustedProxies`): whose X-Forwarded-For makes `request.ip` */
  trustedProxies: readonly string[];
  swagger?: { title: string; description: string };
  /** extra setup (e.g. socket.io adapter) before listen */
  configure?: (app: NestFastifyApplication) => void | Promise<void>;
}

/**
 * Every Tether app is NestJS on Fastify (about 5x Express's throughput under NestJS on these machines, see
 * bench/README.md), with pino logs, whitelisting validation (its rules' look-up memoised), one exception filter, OpenAPI when asked, and shutdown hooks.
 */
export async function createHttpApp(options: HttpAppOptions): Promise<NestFastifyApplication> {
  const proxies = new TrustedProxies(options.trustedProxies);
  const adapter = new FastifyAdapter({
    bodyLimit: options.bodyLimitBytes,
    // request.ip, which every per-address limit is keyed on, is the client behind these proxies, not the proxy
    trustProxy: proxies.enabled ? proxies.trusts : false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const header = req.headers['x-request-id'];
      return typeof header === 'string' && /^[\w-]{1,64}$/.test(header) ? header : randomUUID();
    },
  });
  registerRawJsonParser(adapter.getInstance(), options.bodyLimitBytes);
  registerFormParser(adapter.getInstance(), options.bodyLimitBytes);
  const app = await NestFactory.create<NestFastifyApplication>(options.module, adapter, {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  // class-validator's look-up of a DTO's rules, memoised for the process (bodies here, socket events in the gateway)
  cacheValidationMetadata();
  app.useGlobalPipes(new JsonBodyPipe(), createValidationPipe());
  app.useGlobalFilters(new DomainExceptionFilter());
  if (options.swagger) mountSwagger(app, options.swagger);
  await options.configure?.(app);
  return app;
}

function mountSwagger(app: INestApplication, info: { title: string; description: string }): void {
  const config = new DocumentBuilder()
    .setTitle(info.title)
    .setDescription(info.description)
    .setVersion('1')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'TETHER_ADMIN_TOKEN or the generated admin token',
    })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json' });
}
