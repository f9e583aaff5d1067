import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';

/** The Redis server that `npm test` started for this run (or the one the caller pointed TEST_REDIS_URL at). */
export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: run tests through npm test');
  return url;
}

/**
 * A key prefix unique to the caller (one per test file, typically), so test files sharing one Redis
 * in parallel never see each other's keys. Ends with ':' as our key names do.
 */
export function createTestRedisPrefix(): string {
  return `t${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under `prefix` (SCAN + UNLINK, never FLUSHALL: other test files share the server). */
export async function flushRedisPrefix(url: string, prefix: string): Promise<number> {
  if (!prefix) throw new Error('flushRedisPrefix: refusing an empty prefix (it would delete every key)');
  const client = createClient({ url });
  await client.connect();
  let deleted = 0;
  try {
    for await (const keys of client.scanIterator({ MATCH: `${escapeGlob(prefix)}*`, COUNT: 500 })) {
      if (keys.length > 0) deleted += await client.unlink(keys);
    }
  } finally {
    client.destroy();
  }
  return deleted;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
