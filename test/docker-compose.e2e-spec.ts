import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';

/**
 * docker/compose.yml must render: every app from the one image, PostgreSQL, Redis, the proxy in front.
 * `docker compose config` needs only the compose CLI plugin, no engine; without the plugin these checks skip.
 */
const composeFile = join(__dirname, '..', 'docker', 'compose.yml');
const APPS = ['admin', 'sales', 'presales', 'service', 'gateway'] as const;
const secrets = {
  TETHER_ADMIN_TOKEN: 'admin-token-for-compose-check',
  TETHER_WEBHOOK_SECRET: 'webhook-secret-for-compose-check',
  TETHER_JWT_SECRET: 'jwt-secret-for-compose-check-0123456789',
  REDIS_PASSWORD: 'redis-password-for-compose-check',
};

interface RenderedService {
  command?: string[];
  environment?: Record<string, string | null>;
  image?: string;
  build?: { context: string; dockerfile: string };
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  ports?: { target: number; published: string }[];
}

function compose(args: string[], extraEnv: Record<string, string> = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  // Only what the test passes counts, not the caller's shell or a docker/.env on a developer's machine.
  for (const name of Object.keys(secrets)) if (!(name in extraEnv)) delete env[name];
  return spawnSync('docker', ['compose', '--env-file', '/dev/null', '-f', composeFile, ...args], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

const composeVersion = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8', timeout: 30_000 });
const hasCompose = composeVersion.status === 0;
if (!hasCompose) {
  console.warn(
    'Skipping docker/compose.yml checks: `docker compose version` failed (the Docker Compose v2 CLI plugin is not installed here).',
  );
}
const itWithCompose = hasCompose ? it : it.skip;

/**
 * The Compose Specification's own JSON schema (docker/compose-spec.schema.json, copied from compose-spec/compose-spec
 * at 170098b, Apache-2.0) judges the file everywhere, Docker or not: Debian's docker-compose 1.x cannot (it rejects
 * the spec's top-level `name:`), and `docker compose config` needs the v2 plugin. Merge keys (`<<: *x`) are resolved
 * first, as Compose does.
 */
describe('docker/compose.yml against the Compose Specification schema', () => {
  const schema = JSON.parse(
    readFileSync(join(__dirname, '..', 'docker', 'compose-spec.schema.json'), 'utf8'),
  ) as object;
  // the schema names its meta-schema by an https URL ajv does not carry; the schema itself is not in question
  const validate = new Ajv({ allErrors: true, strict: false, validateSchema: false }).compile(schema);
  const load = () => parse(readFileSync(composeFile, 'utf8'), { merge: true }) as Record<string, unknown>;
  const errorsOf = (document: unknown) =>
    validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);

  it('is valid', () => {
    expect(errorsOf(load())).toEqual([]);
  });

  it('refuses what Compose refuses (the schema can fail): an unknown service key, a wrong type, an unknown top-level key', () => {
    const unknownKey = load() as { services: Record<string, Record<string, unknown>> };
    unknownKey.services.admin.restart_policy = 'always';
    expect(errorsOf(unknownKey)).toContain('/services/admin must NOT have additional properties');

    const wrongType = load() as { services: Record<string, Record<string, unknown>> };
    wrongType.services.redis.ports = 'not-a-list';
    expect(errorsOf(wrongType).some((e) => e.startsWith('/services/redis/ports'))).toBe(true);

    const unknownTop = { ...load(), servcies: {} };
    expect(errorsOf(unknownTop)).toContain(' must NOT have additional properties');
  });
});

// Without the compose plugin nothing above runs: this much is checked everywhere (e2e builds dist/ first).
it('every node command of docker/compose.yml and the Dockerfile names a script the build produces', () => {
  const root = join(__dirname, '..');
  const file = parse(readFileSync(composeFile, 'utf8')) as {
    services: Record<string, { command?: string[] }>;
  };
  const scripts = Object.values(file.services)
    .map((service) => service.command)
    .filter((command): command is string[] => command?.[0] === 'node')
    .map((command) => command[1]);
  const dockerCmd = /CMD \["node", "([^"]+)"\]/.exec(
    readFileSync(join(root, 'docker', 'Dockerfile'), 'utf8'),
  );
  expect(dockerCmd).not.toBeNull();
  scripts.push(dockerCmd![1]);
  expect(scripts.length).toBeGreaterThanOrEqual(APPS.length + 1);
  expect(scripts.filter((script) => !existsSync(join(root, script)))).toEqual([]);
});

// Checked without Docker too: the roles' split as the file states it (anchors and merge keys resolved).
it('docker/compose.yml: the apps connect as the runtime role, only admin and migrate get the owner; the init script creates both', () => {
  const file = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as {
    services: Record<string, { environment?: Record<string, string>; volumes?: string[] }>;
  };
  const { services } = file;
  for (const app of [...APPS, 'migrate'])
    expect(services[app].environment?.DATABASE_URL).toMatch(/^postgres:\/\/tether_app:/);
  const owners = Object.keys(services).filter((name) => services[name].environment?.DATABASE_MIGRATION_URL);
  expect(owners.sort()).toEqual(['admin', 'migrate']);
  expect(services.admin.environment?.DATABASE_MIGRATION_URL).toMatch(/^postgres:\/\/tether:/);
  expect(services.postgres.volumes).toContain('./postgres-init:/docker-entrypoint-initdb.d:ro');
  const init = readFileSync(join(__dirname, '..', 'docker', 'postgres-init', '01-roles.sql'), 'utf8');
  expect(init).toMatch(/CREATE ROLE tether LOGIN NOSUPERUSER/);
  expect(init).toMatch(/CREATE ROLE tether_app LOGIN NOSUPERUSER/);
  expect(init).toMatch(/ALTER DATABASE :"database" OWNER TO tether;/);
  for (const variable of ['TETHER_DB_OWNER_PASSWORD', 'TETHER_DB_APP_PASSWORD'])
    expect(services.postgres.environment?.[variable]).toBeDefined();
});

describe('docker/compose.yml', () => {
  itWithCompose('is valid with the required variables set', () => {
    const result = compose(['config', '--quiet'], secrets);
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.status).toBe(0);
  });

  itWithCompose('runs every app from the one image, plus postgres and redis', () => {
    const result = compose(['config', '--format', 'json'], secrets);
    expect(result.status).toBe(0);
    const services = (JSON.parse(result.stdout) as { services: Record<string, RenderedService> }).services;

    expect(Object.keys(services)).toEqual(expect.arrayContaining([...APPS, 'postgres', 'redis']));
    const images = new Set(APPS.map((app) => services[app].image));
    expect(images.size).toBe(1);
    for (const app of APPS) {
      const service = services[app];
      expect(service.command).toEqual(['node', `dist/apps/${app}/src/main.js`]);
      expect(service.build?.dockerfile).toBe('docker/Dockerfile');
      expect(service.environment).toMatchObject({
        DATABASE_URL: 'postgres://tether_app:tether_app@postgres:5432/tether',
        REDIS_URL: 'redis://:redis-password-for-compose-check@redis:6379',
        ...secrets,
      });
      expect(service.healthcheck?.test?.join(' ')).toContain('/health');
    }
    // only the admin app (and the one-shot migrate) connect as the schema owner
    const migrating = Object.keys(services).filter(
      (name) => services[name].environment?.DATABASE_MIGRATION_URL,
    );
    expect(migrating.sort()).toEqual(['admin', 'migrate']);
    expect(services.admin.environment?.DATABASE_MIGRATION_URL).toBe(
      'postgres://tether:tether@postgres:5432/tether',
    );
    expect(services.postgres.image).toMatch(/^postgres:17/);
    expect(services.redis.image).toMatch(/^redis:7/);
    // Redis requires the password the apps' REDIS_URL carries, and is healthy only when it answers PONG with it
    expect(services.redis.environment).toMatchObject({ REDIS_PASSWORD: secrets.REDIS_PASSWORD });
    expect(services.redis.command?.join(' ')).toContain('--requirepass "$REDIS_PASSWORD"');
    expect(services.redis.healthcheck?.test?.join(' ')).toMatch(/REDISCLI_AUTH=.*PONG/);
    const published = (services.nginx.ports ?? []).map((port) => port.target).sort((a, b) => a - b);
    expect(published).toEqual([3000, 3001, 3002, 3003, 3005]);
  });

  itWithCompose('refuses to render without the secrets, naming the missing variable', () => {
    const result = compose(['config', '--quiet']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/TETHER_(ADMIN_TOKEN|WEBHOOK_SECRET|JWT_SECRET)|REDIS_PASSWORD/);
    const { REDIS_PASSWORD: _omitted, ...withoutRedisPassword } = secrets;
    const noRedisPassword = compose(['config', '--quiet'], withoutRedisPassword);
    expect(noRedisPassword.status).not.toBe(0);
    expect(noRedisPassword.stderr).toContain('REDIS_PASSWORD');
  });
});
