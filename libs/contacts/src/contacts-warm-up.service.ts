import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { LineDirectory } from '@tether/lines';
import { warmPool } from '@tether/persistence';
import { ContactDispatcher } from './contact-dispatcher.service';
import { ContactLifecycleService } from './contact-lifecycle.service';
import { LineRoutingRepository } from './line-routing.repository';
import { OfferService } from './offer.service';

/**
 * What a process does before it serves, so that its first call is served like its thousandth (bench/README.md,
 * "Warm from the first call"): every connection of the pool opened, and on each the hot path's statements run once
 * per line inside a rolled-back transaction (intake, the routing snapshot and the engine's decision on it, the wait
 * estimate, an accept and a completion that find nothing); then one real routing pass per line, which also offers
 * whatever was left waiting by an earlier run. Run by the runtime (`TetherCore.warmUp`) before any app listens.
 */
@Injectable()
export class ContactsWarmUp {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(TETHER_CONFIG) private readonly config: TetherConfig,
    private readonly lines: LineDirectory,
    private readonly lifecycle: ContactLifecycleService,
    private readonly offers: OfferService,
    private readonly dispatcher: ContactDispatcher,
    private readonly rules: LineRoutingRepository,
  ) {}

  async run(): Promise<{ connections: number; lines: number }> {
    const lines = await this.lines.names();
    // the rules cache filled first, through the pool: inside warmPool every connection is taken
    for (const line of lines) await this.rules.cached(line);
    await warmPool(this.dataSource, this.config.databasePoolSize, async (tx) => {
      for (const line of lines) {
        await this.lifecycle.warmUp(tx, line);
        await this.dispatcher.warmUp(tx, line);
      }
      await this.offers.warmUp(tx);
    });
    await Promise.all(lines.map((line) => this.dispatcher.dispatch(line)));
    return { connections: this.config.databasePoolSize, lines: lines.length };
  }
}
