/** The secrets a production process must be given: generated ones are a development convenience. */
export const PRODUCTION_SECRETS = [
  'TETHER_ADMIN_TOKEN',
  'TETHER_WEBHOOK_SECRET',
  'TETHER_JWT_SECRET',
] as const;

/** A secret being rotated away from, accepted while set, and the current one it goes with. */
export const PREVIOUS_SECRETS = {
  TETHER_WEBHOOK_SECRET_PREVIOUS: 'TETHER_WEBHOOK_SECRET',
  TETHER_JWT_SECRET_PREVIOUS: 'TETHER_JWT_SECRET',
} as const;

/** In production every secret is at least this long (what `openssl rand -hex 16` gives; the docs say `-hex 32`). */
export const PRODUCTION_SECRET_MIN_LENGTH = 32;

/** Fewer distinct characters than this is a pattern, not a secret (32 random hex digits show 8 or more). */
const MIN_DISTINCT_CHARACTERS = 8;

/**
 * What example files and tutorials put where a secret goes. A random value of 32+ characters essentially never
 * contains one of these; a hand-typed one often does.
 */
const PLACEHOLDER =
  /change[-_ .]?(me|it|this)|replace[-_ .]?(me|this)|placeholder|example|dummy|sample|default|your[-_ .]|insert[-_ .]|todo|fixme|<[^>]*>|\$\{|\.\.\.|…|1234567|abcdefg|qwerty|password|letmein|secret[-_ .]?here/i;

const HOW = 'generate one with: openssl rand -hex 32';

/**
 * The problems with the secrets in `env` (validated variables; `skip` holds those the schema already refused, so
 * each variable is named once). Always: a `_PREVIOUS` secret needs its current one. With `NODE_ENV=production`:
 * the three secrets are required, and every secret set must be long, not a placeholder, and distinct from the
 * others. One message per problem, each starting with the variable's name; never the value.
 */
export function secretProblems(env: Readonly<Record<string, unknown>>, skip: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const raw = env[name];
    return typeof raw === 'string' && raw !== '' ? raw : undefined;
  };
  for (const [previous, current] of Object.entries(PREVIOUS_SECRETS)) {
    if (value(previous) !== undefined && value(current) === undefined && !skip.has(previous))
      problems.push(
        `${previous}: set only together with ${current}: the previous secret is accepted while rotating to the current one`,
      );
  }
  if (env.NODE_ENV !== 'production') return problems;
  for (const name of PRODUCTION_SECRETS) {
    if (value(name) === undefined)
      problems.push(
        `${name}: required when NODE_ENV=production (generated secrets are for development only); ${HOW}`,
      );
  }
  const seen = new Map<string, string>();
  for (const name of [...PRODUCTION_SECRETS, ...Object.keys(PREVIOUS_SECRETS)]) {
    const secret = value(name);
    if (secret === undefined || skip.has(name)) continue;
    const weakness = weaknessOf(secret);
    if (weakness) problems.push(`${name}: ${weakness} (NODE_ENV=production); ${HOW}`);
    const same = seen.get(secret);
    if (same) problems.push(`${name}: must differ from ${same}: one value must not serve two purposes`);
    else seen.set(secret, name);
  }
  return problems;
}

/** Why `secret` is not good enough for production, or undefined when it is. Never echoes the value. */
export function weaknessOf(secret: string): string | undefined {
  if (secret.length < PRODUCTION_SECRET_MIN_LENGTH)
    return `must be at least ${PRODUCTION_SECRET_MIN_LENGTH} characters`;
  if (PLACEHOLDER.test(secret)) return 'looks like a placeholder or example value, not a secret';
  if (new Set(secret).size < MIN_DISTINCT_CHARACTERS) return 'has too few distinct characters to be a secret';
  return undefined;
}
