import { DynamicModule, Global, Module } from '@nestjs/common';
import { TETHER_CONFIG, TetherConfig } from './tether-config';

/** Binds the already-validated config (validated before Nest boots, so a bad env never half-starts an app). */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: TetherConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: TETHER_CONFIG, useValue: config }],
      exports: [TETHER_CONFIG],
    };
  }
}
