import { isIP } from 'node:net';

/** proxy-addr's (Express', Fastify's) names for address ranges, so a value written for them means the same here. */
const NAMED_RANGES: Record<string, readonly string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/**
 * `TETHER_TRUSTED_PROXIES`: comma-separated addresses (`10.0.0.5`), CIDR ranges (`172.16.0.0/12`) or the names
 * `loopback`, `linklocal`, `uniquelocal`. Returns every entry as a CIDR (`10.0.0.5/32`), or the entries that are
 * none of those as problems.
 */
export function parseTrustedProxies(value: string | undefined): { cidrs: string[]; problems: string[] } {
  const cidrs: string[] = [];
  const problems: string[] = [];
  for (const entry of (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const named = NAMED_RANGES[entry.toLowerCase()];
    if (named) {
      cidrs.push(...named);
      continue;
    }
    const [address, prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    if (family === 0 || rest.length > 0) {
      problems.push(entry);
    } else if (prefix === undefined) {
      cidrs.push(`${address}/${bits}`);
    } else if (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits) {
      cidrs.push(`${address}/${Number(prefix)}`);
    } else {
      problems.push(entry);
    }
  }
  return { cidrs: [...new Set(cidrs)], problems };
}
