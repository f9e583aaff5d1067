import type { AppName, TetherConfig } from '@tether/config';
import { runtimeRoleOf, type SchemaDuty } from '@tether/persistence';

/** A process's role (`ProcessRole` in tether-core.ts, spelled out here so the two files do not import each other). */
type Role = AppName | 'core';

/**
 * The process kinds that migrate in production: the admin app, and `npm start` (role `core`, which runs the admin
 * app among the others). The line apps and the gateway face the internet (telephony platforms, agents' browsers):
 * in production they never run DDL, they wait for the schema. `npm run migration:run` migrates too.
 */
const MIGRATING_ROLES: readonly Role[] = ['admin', 'core'];

/**
 * What a process of `role` does about the schema before it serves (`PersistenceModule`'s `schema`):
 * - production and not a migrating role: `wait` (no DDL, no migration lock), up to TETHER_SCHEMA_WAIT_SECONDS;
 * - otherwise `migrate`: on DATABASE_MIGRATION_URL when set (the pool then uses DATABASE_URL), granting the runtime
 *   role (TETHER_DB_RUNTIME_ROLE, else DATABASE_URL's user) the apps' privileges; without it, on DATABASE_URL with no
 *   grants (one role, the development default and every test's).
 */
export function schemaDutyFor(
  config: Pick<TetherConfig, 'env' | 'databaseMigrationUrl' | 'databaseRuntimeRole' | 'schemaWaitSeconds'> & {
    databaseUrl: string;
  },
  role: Role,
): SchemaDuty {
  if (config.env === 'production' && !MIGRATING_ROLES.includes(role))
    return { kind: 'wait', timeoutMs: config.schemaWaitSeconds * 1000 };
  const migrationUrl = config.databaseMigrationUrl;
  const runtimeRole = runtimeRoleOf(config);
  return {
    kind: 'migrate',
    ...(migrationUrl ? { migrationUrl } : {}),
    ...(runtimeRole ? { runtimeRole } : {}),
  };
}
