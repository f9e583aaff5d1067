import type { INestApplicationContext } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { WARM_UP_HEADER, WARM_UP_TOKEN } from '@tether/observability';

/** One request an app is sent in-process (Fastify's `inject`, no socket) while it warms up. */
export interface WarmUpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  payload?: string;
}

/**
 * Provided by an app whose hot routes can be warmed without side effects: a function (called at warm-up time, so
 * signatures carry a fresh timestamp) returning requests that run them end to end and change nothing, e.g. a line
 * app's signed look-up of a call that does not exist and a signed webhook its validation refuses.
 */
export const APP_WARM_UP_REQUESTS = Symbol('APP_WARM_UP_REQUESTS');

/** Each warm-up request is sent this many times: enough for the hot functions to leave V8's interpreter. */
const ROUNDS = 20;

/**
 * Sends an initialised (not yet listening) app its own warm-up requests, `/health` and whatever it provides under
 * `APP_WARM_UP_REQUESTS`, ROUNDS times each: the first real request then runs through routes, guards, pipes,
 * validation, serialisation and the exception filter that have all run before. Returns how many were sent.
 */
export async function warmUpApp(app: NestFastifyApplication): Promise<number> {
  const requests: WarmUpRequest[] = [{ method: 'GET', url: '/health' }, ...providedRequests(app)];
  const fastify = app.getHttpAdapter().getInstance();
  let sent = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const request of requests) {
      await fastify.inject({
        method: request.method,
        url: request.url,
        // marked, so request logs leave them out
        headers: { ...request.headers, [WARM_UP_HEADER]: WARM_UP_TOKEN },
        payload: request.payload,
      });
      sent++;
    }
  }
  return sent;
}

function providedRequests(app: INestApplicationContext): WarmUpRequest[] {
  // through ModuleRef: the application's own `get` ends the process on an unknown token (Nest's abortOnError)
  try {
    const make = app
      .get(ModuleRef)
      .get<typeof APP_WARM_UP_REQUESTS, () => WarmUpRequest[]>(APP_WARM_UP_REQUESTS, { strict: false });
    return make();
  } catch {
    return [];
  }
}
