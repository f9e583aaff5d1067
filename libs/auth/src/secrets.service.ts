import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { one } from '@tether/persistence';

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The process's secrets: from the environment when set (production), otherwise generated once at first start and
 * kept in the database so every instance agrees. A generated admin token is stored only as a hash and printed once.
 */
@Injectable()
export class SecretsService implements OnModuleInit {
  private readonly logger = new Logger(SecretsService.name);
  private webhook!: string;
  private jwt!: string;
  private adminTokenHash!: Buffer;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.webhook =
      this.config.webhookSecret ??
      (await this.generated('webhook_secret', () => randomBytes(24).toString('base64url')));
    this.jwt =
      this.config.jwtSecret ??
      (await this.generated('jwt_secret', () => randomBytes(48).toString('base64url')));
    if (this.config.adminToken) {
      this.adminTokenHash = sha256(this.config.adminToken);
    } else {
      const fresh = `tta_${randomBytes(24).toString('base64url')}`;
      const { value, inserted } = await this.generatedOrExisting('admin_token_sha256', () =>
        sha256(fresh).toString('hex'),
      );
      this.adminTokenHash = Buffer.from(value, 'hex');
      // only the process whose insert won holds the token that matches the stored hash
      if (inserted) announce(`admin token (shown once, store it): ${fresh}`);
    }
    if (!this.config.webhookSecret && this.config.env !== 'test') {
      this.logger.log(
        'TETHER_WEBHOOK_SECRET not set: using the generated secret stored in the database (settings.webhook_secret)',
      );
    }
  }

  get webhookSecret(): string {
    return this.webhook;
  }

  get jwtSecret(): string {
    return this.jwt;
  }

  isAdminToken(token: string): boolean {
    return timingSafeEqual(sha256(token), this.adminTokenHash);
  }

  private async generated(key: string, make: () => string): Promise<string> {
    return (await this.generatedOrExisting(key, make)).value;
  }

  /** Reads a setting, or inserts the generated value; exactly one of several racing instances wins the insert. */
  private async generatedOrExisting(
    key: string,
    make: () => string,
  ): Promise<{ value: string; inserted: boolean }> {
    const existing = await one<{ value: string }>(
      this.dataSource.manager,
      `SELECT value FROM settings WHERE key = $1`,
      [key],
    );
    if (existing) return { value: existing.value, inserted: false };
    const inserted = await one<{ value: string }>(
      this.dataSource.manager,
      `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING value`,
      [key, make()],
    );
    if (inserted) return { value: inserted.value, inserted: true };
    const winner = await one<{ value: string }>(
      this.dataSource.manager,
      `SELECT value FROM settings WHERE key = $1`,
      [key],
    );
    return { value: winner!.value, inserted: false };
  }
}

/** Printed to stdout, not the log stream: a credential must not end up in log aggregation. */
function announce(message: string): void {
  process.stdout.write(`\n  ${message}\n\n`);
}
