import { schemaDutyFor } from './schema-duty';

describe('schemaDutyFor: who migrates, with which connection, granting whom', () => {
  const base = {
    env: 'development' as const,
    databaseUrl: 'postgres://tether_app:secret@db:5432/tether',
    schemaWaitSeconds: 120,
  };
  const owner = 'postgres://tether_owner:other@db:5432/tether';

  it('development and tests: every process migrates on DATABASE_URL, no grants (one role, as before)', () => {
    for (const role of ['core', 'admin', 'sales', 'billing', 'gateway'])
      expect(schemaDutyFor(base, role)).toEqual({ kind: 'migrate' });
    expect(schemaDutyFor({ ...base, env: 'test' }, 'gateway')).toEqual({ kind: 'migrate' });
  });

  it('production: the line apps (any line) and the gateway wait for the schema and never migrate', () => {
    const production = { ...base, env: 'production' as const, databaseMigrationUrl: owner };
    for (const role of ['sales', 'presales', 'service', 'billing', 'gateway'])
      expect(schemaDutyFor(production, role)).toEqual({ kind: 'wait', timeoutMs: 120_000 });
    expect(schemaDutyFor({ ...production, schemaWaitSeconds: 5 }, 'sales')).toEqual({
      kind: 'wait',
      timeoutMs: 5_000,
    });
  });

  it('production: the admin app and npm start migrate, as the owner, granting DATABASE_URL’s user', () => {
    const production = { ...base, env: 'production' as const, databaseMigrationUrl: owner };
    for (const role of ['admin', 'core'])
      expect(schemaDutyFor(production, role)).toEqual({
        kind: 'migrate',
        migrationUrl: owner,
        runtimeRole: 'tether_app',
      });
    expect(schemaDutyFor({ ...production, databaseMigrationUrl: undefined }, 'admin')).toEqual({
      kind: 'migrate',
    });
  });

  it('TETHER_DB_RUNTIME_ROLE names the role to grant (a group role the login user belongs to)', () => {
    expect(
      schemaDutyFor({ ...base, databaseMigrationUrl: owner, databaseRuntimeRole: 'tether_apps' }, 'admin'),
    ).toEqual({ kind: 'migrate', migrationUrl: owner, runtimeRole: 'tether_apps' });
  });
});
