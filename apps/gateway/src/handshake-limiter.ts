import { Inject, Injectable } from '@nestjs/common';
import {
  DEFAULT_IPV6_SUBNET_PREFIX,
  InjectThrottlerStorage,
  normalizeIp,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Socket } from 'socket.io';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { TrustedProxies } from '@tether/transport';

/**
 * Rate limits of socket.io handshakes on both namespaces, per client address (behind the trusted proxies), over
 * the app's throttler storage. The credential is checked first, so each handshake lands in one bucket:
 *  - accepted ones: TETHER_SOCKET_HANDSHAKES_PER_SECOND (200/s: an office behind one NAT connecting at once);
 *  - refused ones: TETHER_AUTH_FAILURES_PER_MINUTE, after which a refusal says so (connect_error) and when to retry.
 * A flood of bad tokens from an office's address therefore never keeps that office's agents out.
 */
@Injectable()
export class HandshakeLimiter {
  private readonly proxies: TrustedProxies;

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
  ) {
    this.proxies = new TrustedProxies(config.trustedProxies);
  }

  /**
   * The bucket of a handshake's client: its address (X-Forwarded-For believed only from a trusted proxy), an IPv6
   * client's whole /64 as @nestjs/throttler's own tracker does.
   */
  addressOf(socket: Socket): string {
    const address = this.proxies.clientAddress(
      socket.handshake.address,
      socket.handshake.headers['x-forwarded-for'],
    );
    return normalizeIp(address, DEFAULT_IPV6_SUBNET_PREFIX);
  }

  /** Counts an accepted handshake; the error to refuse it with when the address is over its budget. */
  async admit(address: string): Promise<Error | undefined> {
    const { isBlocked, timeToBlockExpire } = await this.storage.increment(
      address,
      1000,
      this.config.socketHandshakesPerSecond,
      1000,
      'handshake',
    );
    if (!isBlocked) return undefined;
    return new Error(
      `too many connections from this address (${this.config.socketHandshakesPerSecond} per second): retry in ${Math.max(1, timeToBlockExpire)} s`,
    );
  }

  /** Counts a refused handshake: the error to refuse it with, `reason` or, over the budget, a 429-like one. */
  async refuse(address: string, reason: string): Promise<Error> {
    const { isBlocked, timeToBlockExpire } = await this.storage.increment(
      address,
      60_000,
      this.config.authFailuresPerMinute,
      60_000,
      'refused',
    );
    if (!isBlocked) return new Error(reason);
    return new Error(
      `too many failed attempts from this address (${this.config.authFailuresPerMinute} per minute): retry in ${timeToBlockExpire} s`,
    );
  }
}
