import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { mapConcurrent, REPO_ROOT } from './bench-cli';
import { freePort, startNode, StartedProcess, waitHealthy } from './child-process';

export type TetherApp = 'admin' | 'sales' | 'presales' | 'service' | 'gateway';

/** Credentials every benchmark run uses for the Tether it starts (fresh per run, never printed). */
export const BENCH_SECRETS = {
  adminToken: `bench-admin-${randomBytes(12).toString('hex')}`,
  webhookSecret: randomBytes(24).toString('hex'),
  jwtSecret: randomBytes(32).toString('hex'),
};

/**
 * Environment for a Tether process as the contract configures it, quiet (LOG_LEVEL=warn) for benchmarking. The
 * per-address and per-socket rate limits are lifted: the load generator is one address creating thousands of agents
 * and sending every webhook, and its agents work at machine speed; the limits would measure themselves.
 */
export function tetherEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    TETHER_ADMIN_TOKEN: BENCH_SECRETS.adminToken,
    TETHER_WEBHOOK_SECRET: BENCH_SECRETS.webhookSecret,
    TETHER_JWT_SECRET: BENCH_SECRETS.jwtSecret,
    TETHER_ADMIN_RATE_LIMIT_PER_SECOND: '1000000',
    TETHER_WEBHOOK_RATE_LIMIT_PER_SECOND: '1000000',
    TETHER_SOCKET_HANDSHAKES_PER_SECOND: '1000000',
    TETHER_SOCKET_EVENTS_PER_SECOND: '10000',
  };
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

export interface Standalone {
  process: StartedProcess;
  adminUrl: string;
  salesUrl: string;
  serviceUrl?: string;
  gatewayUrl: string;
}

/** `node dist/apps/standalone/src/main.js`: the five apps in one process, over the given PostgreSQL. */
export async function startStandalone(options: {
  databaseUrl: string;
  callbackUrl?: string;
  nodeArgs?: string[];
  dataDir: string;
  extraEnv?: Record<string, string>;
}): Promise<Standalone> {
  const [admin, sales, presales, service, gateway] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const started = startNode('tether standalone', join(REPO_ROOT, 'dist/apps/standalone/src/main.js'), {
    nodeArgs: options.nodeArgs,
    env: tetherEnv({
      DATABASE_URL: options.databaseUrl,
      ADMIN_PORT: String(admin),
      SALES_PORT: String(sales),
      PRESALES_PORT: String(presales),
      SERVICE_PORT: String(service),
      GATEWAY_PORT: String(gateway),
      TETHER_TELEPHONY_CALLBACK_URL: options.callbackUrl,
      TETHER_DATA_DIR: options.dataDir,
      ...options.extraEnv,
    }),
  });
  const system = {
    process: started,
    adminUrl: `http://127.0.0.1:${admin}`,
    salesUrl: `http://127.0.0.1:${sales}`,
    serviceUrl: `http://127.0.0.1:${service}`,
    gatewayUrl: `http://127.0.0.1:${gateway}`,
  };
  for (const url of [system.adminUrl, system.salesUrl, system.gatewayUrl])
    await waitHealthy(started, `${url}/health`);
  return system;
}

/** `node dist/apps/<app>/src/main.js` alone with PORT, DATABASE_URL and REDIS_URL (how production runs apps). */
export async function startApp(
  app: TetherApp,
  options: { databaseUrl: string; redisUrl: string; nodeArgs?: string[]; extraEnv?: Record<string, string> },
): Promise<{ process: StartedProcess; url: string }> {
  const port = await freePort();
  const started = startNode(`tether ${app}`, join(REPO_ROOT, `dist/apps/${app}/src/main.js`), {
    nodeArgs: options.nodeArgs,
    env: tetherEnv({
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: options.redisUrl,
      PORT: String(port),
      TETHER_INSTANCE_ID: `bench-${app}`,
      ...options.extraEnv,
    }),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(started, `${url}/health`);
  return { process: started, url };
}

async function adminPost<T>(
  adminUrl: string,
  path: string,
  body: unknown,
  adminToken = BENCH_SECRETS.adminToken,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(`${adminUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      if (response.status !== 201)
        throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as T;
    } catch (error) {
      // a reset connection under a burst of thousands of requests is retried; a refusal with a status is not
      if (attempt >= 3 || (error instanceof Error && error.message.startsWith('POST '))) throw error;
    }
  }
}

/** Creates agents on the given lines (voice capacity 1 unless told) and issues each a token, through the admin REST API. */
export async function createAgents(
  adminUrl: string,
  count: number,
  options: {
    lines?: string[];
    prefix?: string;
    concurrency?: number;
    adminToken?: string;
    capacity?: Record<string, number>;
  } = {},
): Promise<{ agentId: string; token: string }[]> {
  const indexes = Array.from({ length: count }, (_, i) => i);
  return mapConcurrent(indexes, options.concurrency ?? 16, async (i) => {
    const agent = await adminPost<{ id: string }>(
      adminUrl,
      '/v1/agents',
      {
        name: `${options.prefix ?? 'bench agent'} ${i + 1}`,
        lines: options.lines ?? ['sales'],
        capacity: options.capacity ?? { voice: 1 },
      },
      options.adminToken,
    );
    const { token } = await adminPost<{ token: string }>(
      adminUrl,
      `/v1/agents/${agent.id}/tokens`,
      {},
      options.adminToken,
    );
    return { agentId: agent.id, token };
  });
}

/** GET /v1/lines/{line}/routing: the rules the dispatcher applies (the fleet needs offerTimeoutSeconds). */
export async function lineRules(
  adminUrl: string,
  line: string,
  adminToken = BENCH_SECRETS.adminToken,
): Promise<{ offerTimeoutSeconds: number }> {
  const response = await fetch(`${adminUrl}/v1/lines/${line}/routing`, {
    headers: { authorization: `Bearer ${adminToken}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`GET /v1/lines/${line}/routing answered ${response.status}`);
  return (await response.json()) as { offerTimeoutSeconds: number };
}
