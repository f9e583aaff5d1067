import { Module } from '@nestjs/common';
import { LineDirectory } from './line-directory';

/** The lines Tether serves (`LineDirectory` over the `lines` table). Needs PersistenceModule's DataSource. */
@Module({ providers: [LineDirectory], exports: [LineDirectory] })
export class LinesModule {}
