import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { one } from '@tether/persistence';
import { writeAdminTokenFile } from './admin-token-file';
import { AgentTokenKeys } from './agent-token-keys';

export function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The process's secrets: from the environment when set (required in production: `loadConfig` refuses to start
 * without them), otherwise generated once at first start and kept in the database so every instance agrees. A
 * generated admin token is stored only as a hash and handed over once: on the terminal, or in a file only its owner
 * can read. While a `_PREVIOUS` secret is set it is still accepted (inbound signatures, agent tokens), never used to
 * sign.
 */
@Injectable()
export class SecretsService implements OnModuleInit {
  private readonly logger = new Logger(SecretsService.name);
  private webhook!: string;
  private webhooks!: readonly string[];
  private tokenKeys!: AgentTokenKeys;
  private adminTokenHash!: Buffer;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.webhook =
      this.config.webhookSecret ??
      (await this.generated('webhook_secret', () => randomBytes(24).toString('base64url')));
    this.webhooks = [
      this.webhook,
      ...(this.config.webhookSecretPrevious ? [this.config.webhookSecretPrevious] : []),
    ];
    const jwt =
      this.config.jwtSecret ??
      (await this.generated('jwt_secret', () => randomBytes(48).toString('base64url')));
    this.tokenKeys = new AgentTokenKeys(jwt, this.config.jwtSecretPrevious);
    if (this.config.adminToken) {
      this.adminTokenHash = sha256(this.config.adminToken);
    } else {
      const fresh = `tta_${randomBytes(24).toString('base64url')}`;
      const { value, inserted } = await this.generatedOrExisting('admin_token_sha256', () =>
        sha256(fresh).toString('hex'),
      );
      this.adminTokenHash = Buffer.from(value, 'hex');
      // only the process whose insert won holds the token that matches the stored hash
      if (inserted) await this.handOver(fresh, value);
    }
    if (!this.config.webhookSecret && this.config.env !== 'test') {
      this.logger.log(
        'TETHER_WEBHOOK_SECRET not set: using the generated development secret kept in the database (`npm run secrets` prints it)',
      );
    }
  }

  /** The secret Tether signs its own callbacks with: the current one only. */
  get webhookSecret(): string {
    return this.webhook;
  }

  /** The secrets an inbound signature may be made with: the current one, and the previous one while it is set. */
  get webhookSecrets(): readonly string[] {
    return this.webhooks;
  }

  /** Signs agent tokens (the current key) and verifies them (the key their `kid` names). */
  get agentTokenKeys(): AgentTokenKeys {
    return this.tokenKeys;
  }

  isAdminToken(token: string): boolean {
    return timingSafeEqual(sha256(token), this.adminTokenHash);
  }

  /**
   * A generated admin token goes to the person at the terminal when there is one; otherwise (a service manager, a
   * container, a pipe) to a file only its owner can read, and the log says where: never the token itself, since
   * logs end up in aggregation. If the file cannot be written, the stored hash is dropped again (the next start
   * generates a new token) and the start fails.
   */
  private async handOver(token: string, hash: string): Promise<void> {
    if (process.stdout.isTTY) {
      announce(`admin token (shown once, store it): ${token}`);
      return;
    }
    let file: string;
    try {
      file = writeAdminTokenFile(this.config.dataDir, token);
    } catch (error) {
      await this.dataSource.query(`DELETE FROM settings WHERE key = 'admin_token_sha256' AND value = $1`, [
        hash,
      ]);
      throw new Error(
        `could not write the generated admin token into ${this.config.dataDir} (${(error as Error).message}): ` +
          'set TETHER_DATA_DIR to a writable directory, or TETHER_ADMIN_TOKEN to your own token',
      );
    }
    this.logger.log(
      `admin token generated and written to ${file} (readable only by its owner; it is not logged). ` +
        'Set TETHER_ADMIN_TOKEN to use your own.',
    );
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
