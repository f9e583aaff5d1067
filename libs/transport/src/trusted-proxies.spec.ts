import { TrustedProxies } from './trusted-proxies';

describe('TrustedProxies', () => {
  const proxies = new TrustedProxies(['127.0.0.1/32', '10.0.0.0/8', '::1/128']);

  it('without a trusted proxy the TCP peer is the client, whatever X-Forwarded-For says', () => {
    const none = new TrustedProxies([]);
    expect(none.clientAddress('127.0.0.1', '203.0.113.9')).toBe('127.0.0.1');
    expect(none.trusts('127.0.0.1')).toBe(false);
  });

  it('behind a trusted proxy the forwarded address is the client', () => {
    expect(proxies.clientAddress('127.0.0.1', '203.0.113.9')).toBe('203.0.113.9');
    expect(proxies.clientAddress('::ffff:127.0.0.1', '203.0.113.9')).toBe('203.0.113.9');
    expect(proxies.clientAddress('::1', '2001:db8::1')).toBe('2001:db8::1');
  });

  it('walks the chain from the right: the first untrusted address wins, so a client cannot pick its own', () => {
    // the client sent "X-Forwarded-For: 198.51.100.1"; nginx (10.0.0.2) appended the real peer, then 127.0.0.1 did
    expect(proxies.clientAddress('127.0.0.1', '198.51.100.1, 203.0.113.9, 10.0.0.2')).toBe('203.0.113.9');
    expect(proxies.clientAddress('127.0.0.1', ['198.51.100.1, 203.0.113.9', '10.0.0.2'])).toBe('203.0.113.9');
  });

  it('an untrusted peer is the client even when it sends a header', () => {
    expect(proxies.clientAddress('192.0.2.7', '203.0.113.9')).toBe('192.0.2.7');
  });

  it('all hops trusted: the leftmost one; no header: the peer', () => {
    expect(proxies.clientAddress('127.0.0.1', '10.0.0.3, 10.0.0.2')).toBe('10.0.0.3');
    expect(proxies.clientAddress('127.0.0.1', undefined)).toBe('127.0.0.1');
  });

  it('matches CIDRs by family, and never trusts what is not an address', () => {
    expect(proxies.trusts('10.200.3.4')).toBe(true);
    expect(proxies.trusts('11.0.0.1')).toBe(false);
    expect(proxies.trusts('not-an-ip')).toBe(false);
    expect(proxies.trusts('::2')).toBe(false);
  });
});
