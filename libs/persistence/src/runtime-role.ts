/** The user name in a postgres:// URL (decoded), or undefined. */
export function databaseUser(url: string): string | undefined {
  return decodeURIComponent(new URL(url).username) || undefined;
}

/**
 * The role a migration run grants the apps' privileges to: TETHER_DB_RUNTIME_ROLE when set, else DATABASE_URL's
 * user when the process migrates with another connection (DATABASE_MIGRATION_URL). Neither: undefined, no grants
 * (one role owns and uses the schema, as in development and the tests).
 */
export function runtimeRoleOf(config: {
  databaseUrl?: string;
  databaseMigrationUrl?: string;
  databaseRuntimeRole?: string;
}): string | undefined {
  if (config.databaseRuntimeRole) return config.databaseRuntimeRole;
  return config.databaseMigrationUrl && config.databaseUrl ? databaseUser(config.databaseUrl) : undefined;
}
