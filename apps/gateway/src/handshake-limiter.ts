import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  DEFAULT_IPV6_SUBNET_PREFIX,
  InjectThrottlerStorage,
  normalizeIp,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { Socket } from 'socket.io';
import { DataSource } from 'typeorm';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { Refusal, RefusalAggregator } from '@tether/observability';
import { TrustedProxies } from '@tether/transport';

/**
 * Rate limits of socket.io handshakes on both namespaces, per client address (behind the trusted proxies), over
 * the app's throttler storage. The credential is checked first, so each handshake lands in one bucket:
 *  - accepted ones: TETHER_SOCKET_HANDSHAKES_PER_SECOND (200/s: an office behind one NAT connecting at once);
 *  - refused ones: TETHER_AUTH_FAILURES_PER_MINUTE, after which a refusal says so (connect_error) and when to retry.
 * A flood of bad tokens from an office's address therefore never keeps that office's agents out.
 *
 * Every refused handshake is audited as the admin app's refused requests are (`audit_log`: actor `anonymous`,
 * action `socket <namespace> handshake`, status 401, 403 or 429, the client's address), aggregated per address,
 * status and minute (`RefusalAggregator`) so a flood cannot fill the disk.
 */
@Injectable()
export class HandshakeLimiter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(HandshakeLimiter.name);
  private readonly proxies: TrustedProxies;
  private readonly refusals = new RefusalAggregator((refusal, count) => this.writeRefusal(refusal, count));
  private readonly writing = new Set<Promise<void>>();
  private sweeper?: NodeJS.Timeout;

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.proxies = new TrustedProxies(config.trustedProxies);
  }

  onModuleInit(): void {
    this.sweeper = setInterval(() => this.refusals.sweep(), 10_000);
    this.sweeper.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    this.refusals.flush();
    await Promise.all(this.writing);
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

  /**
   * Counts a refused handshake: the error to refuse it with, `reason` or, over the budget, a 429-like one. `status`:
   * 401 for a missing or wrong credential, 403 for a real one that does not open this namespace.
   */
  async refuse(
    address: string,
    reason: string,
    namespace: '/agents' | '/supervisors',
    status: 401 | 403 = 401,
  ): Promise<Error> {
    const { isBlocked, timeToBlockExpire } = await this.storage.increment(
      address,
      60_000,
      this.config.authFailuresPerMinute,
      60_000,
      'refused',
    );
    this.refusals.add({
      address,
      actor: 'anonymous',
      status: isBlocked ? 429 : status,
      action: `socket ${namespace} handshake`,
      requestId: null,
    });
    if (!isBlocked) return new Error(reason);
    return new Error(
      `too many failed attempts from this address (${this.config.authFailuresPerMinute} per minute): retry in ${timeToBlockExpire} s`,
    );
  }

  private writeRefusal(refusal: Refusal, count: number): void {
    const write = this.dataSource
      .query(
        `INSERT INTO audit_log (actor, action, target, status, request_id, fields, address, count)
         VALUES ($1, $2, NULL, $3, NULL, '{}', $4, $5)`,
        [refusal.actor, refusal.action, refusal.status, refusal.address, count],
      )
      .then(() => undefined)
      .catch((error: Error) => this.logger.warn(`audit of a refused handshake failed: ${error.message}`))
      .finally(() => this.writing.delete(write));
    this.writing.add(write);
  }
}
