import { PREPARED_MARK, prepared, preparedStatementsFromEnv } from './prepared-statements';

describe('prepared statements: the mark and the default', () => {
  it('prepared() marks a text at its head, and leaves the statement itself as it was', () => {
    expect(prepared('SELECT $1::int')).toBe(`${PREPARED_MARK}SELECT $1::int`);
  });

  it('pools made outside the config prepare unless TETHER_DB_PREPARED_STATEMENTS=false, as the config reads it', () => {
    expect(preparedStatementsFromEnv({})).toBe(true);
    expect(preparedStatementsFromEnv({ TETHER_DB_PREPARED_STATEMENTS: 'true' })).toBe(true);
    expect(preparedStatementsFromEnv({ TETHER_DB_PREPARED_STATEMENTS: 'false' })).toBe(false);
  });
});
