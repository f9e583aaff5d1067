import { expect } from '@jest/globals';
import { Client } from 'pg';
import { type AdminClient, type RoutingRulesView, type Tether, startTether } from '@tether/testing';

interface VersionEntry {
  version: number;
  author: string;
  createdAt: string;
  source: string;
  restoredVersion: number | null;
  changes: { path: string; before?: unknown; after?: unknown }[];
}

/** Routing versions: ETag and If-Match (412 when stale), the versions list with diffs, rollback, the audit log. */
describe('routing versions', () => {
  let tether: Tether;
  let admin: AdminClient;
  let db: Client;

  beforeAll(async () => {
    tether = await startTether();
    admin = tether.admin();
    db = new Client({ connectionString: tether.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await tether?.stop();
  });

  const body = ({ line: _l, version: _v, updatedAt: _u, ...rules }: RoutingRulesView) => rules;
  const put = (line: string, rules: object, ifMatch?: string) =>
    admin.request<RoutingRulesView>(
      'PUT',
      `/v1/lines/${line}/routing`,
      rules,
      ifMatch === undefined ? {} : { headers: { 'if-match': ifMatch } },
    );

  it('GET carries the version in the body and as a quoted ETag', async () => {
    const got = await admin.request<RoutingRulesView>('GET', '/v1/lines/sales/routing');
    expect(got.status).toBe(200);
    expect(got.body.version).toEqual(expect.any(Number));
    expect(got.headers.get('etag')).toBe(`"${got.body.version}"`);
  });

  it('a PUT with the current version (bare or quoted) applies; with an old one it is a 412 and changes nothing', async () => {
    const current = await admin.getRouting('presales');
    const first = await put('presales', { ...body(current), wrapUpSeconds: 3 }, String(current.version));
    expect(first.status).toBe(200);
    expect(first.body.version).toBe(current.version + 1);
    expect(first.headers.get('etag')).toBe(`"${current.version + 1}"`);

    const stale = await put('presales', { ...body(current), wrapUpSeconds: 4 }, `"${current.version}"`);
    expect(stale.status).toBe(412);
    expect((stale.body as unknown as { message: string }).message).toMatch(/version/);
    expect((await admin.getRouting('presales')).wrapUpSeconds).toBe(3);

    const fresh = await put('presales', { ...body(current), wrapUpSeconds: 4 }, `"${first.body.version}"`);
    expect(fresh.status).toBe(200);
    // without If-Match the write applies whatever the version
    expect((await put('presales', body(current))).status).toBe(200);
    expect((await put('presales', body(current), 'not-a-version')).status).toBe(400);
  });

  it('of concurrent PUTs made against the same version, exactly one applies and the others are 412', async () => {
    const current = await admin.getRouting('service');
    const answers = await Promise.all(
      [1, 2, 3, 4, 5].map((n) =>
        put('service', { ...body(current), wrapUpSeconds: n }, `"${current.version}"`),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, 412, 412, 412, 412]);
    const winner = answers.find((answer) => answer.status === 200)!;
    const after = await admin.getRouting('service');
    expect(after.version).toBe(current.version + 1);
    expect(after.wrapUpSeconds).toBe(winner.body.wrapUpSeconds);
  });

  it('lists versions newest first with author, time and what changed; rollback restores an old version as a new one', async () => {
    const start = await admin.getRouting('sales');
    const a = await admin.putRouting('sales', {
      ...body(start),
      intents: { billing: { skills: { billing: 5 } } },
    });
    const b = await admin.putRouting('sales', {
      ...body(a),
      sticky: { ...a.sticky, waitSeconds: 45 },
      intents: { billing: { skills: { billing: 7 }, priority: 2 } },
    });

    const listed = await admin.request<VersionEntry[]>('GET', '/v1/lines/sales/routing/versions?limit=2');
    expect(listed.status).toBe(200);
    expect(listed.body.map((entry) => entry.version)).toEqual([b.version, a.version]);
    expect(listed.body[0]).toEqual({
      version: b.version,
      author: expect.stringMatching(/^admin:[0-9a-f]{12}$/),
      createdAt: expect.any(String),
      source: 'put',
      restoredVersion: null,
      changes: [
        { path: 'intents.billing.priority', after: 2 },
        { path: 'intents.billing.skills.billing', before: 5, after: 7 },
        { path: 'sticky.waitSeconds', before: a.sticky.waitSeconds, after: 45 },
      ],
    });

    const rolledBack = await admin.request<RoutingRulesView>('POST', '/v1/lines/sales/routing/rollback', {
      version: a.version,
    });
    expect(rolledBack.status).toBe(200);
    expect(rolledBack.body.version).toBe(b.version + 1);
    expect(body(rolledBack.body)).toEqual(body(a));
    expect(body(await admin.getRouting('sales'))).toEqual(body(a));
    const [latest] = (await admin.request<VersionEntry[]>('GET', '/v1/lines/sales/routing/versions')).body;
    expect(latest).toEqual(
      expect.objectContaining({ version: b.version + 1, source: 'rollback', restoredVersion: a.version }),
    );
    const old = await admin.request<RoutingRulesView>('GET', `/v1/lines/sales/routing/versions/${b.version}`);
    expect(old.body.intents).toEqual({ billing: { skills: { billing: 7 }, priority: 2 } });

    // a rollback against a stale version is a 412; to a version that never was, a 404
    const stale = await admin.request(
      'POST',
      '/v1/lines/sales/routing/rollback',
      { version: start.version },
      {
        headers: { 'if-match': `"${b.version}"` },
      },
    );
    expect(stale.status).toBe(412);
    expect(
      (await admin.request('POST', '/v1/lines/sales/routing/rollback', { version: 999_999 })).status,
    ).toBe(404);

    const { rows } = await db.query<{ action: string; status: number }>(
      `SELECT action, status FROM audit_log WHERE target = 'sales' AND action LIKE '% /v1/lines/:line/routing%'
        ORDER BY id DESC LIMIT 3`,
    );
    expect(rows.map((row) => `${row.action} ${row.status}`)).toEqual([
      'POST /v1/lines/:line/routing/rollback 404',
      'POST /v1/lines/:line/routing/rollback 412',
      'POST /v1/lines/:line/routing/rollback 200',
    ]);
    await admin.putRouting('sales', body(start));
  });
});
