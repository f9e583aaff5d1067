import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Marks a body that was not valid JSON, so the signature is still checked first and validation answers 400. */
export const INVALID_JSON = Symbol('invalid-json');

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

/**
 * Keeps the exact bytes of every JSON body (webhook signatures are over the raw body) and never fails the request in
 * the parser: a malformed body is left for the signature guard (401 first) and then the validation pipe (400).
 */
export function registerRawJsonParser(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit },
    (request: FastifyRequest, body: Buffer, done) => {
      request.rawBody = body;
      if (body.length === 0) return done(null, undefined);
      try {
        done(null, JSON.parse(body.toString('utf8')) as unknown);
      } catch {
        done(null, INVALID_JSON);
      }
    },
  );
}

/**
 * Form-encoded bodies (what Twilio and most telephony platforms post): the exact bytes are kept like JSON's, and the
 * fields are parsed into a plain object of strings (a repeated field keeps its last value). The adapter's signature
 * guard checks them before anything reads them.
 */
export function registerFormParser(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer', bodyLimit },
    (request: FastifyRequest, body: Buffer, done) => {
      request.rawBody = body;
      const fields: Record<string, string> = {};
      for (const [key, value] of new URLSearchParams(body.toString('utf8'))) fields[key] = value;
      done(null, fields);
    },
  );
}
