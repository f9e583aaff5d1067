import { Controller, Get, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { TETHER_CONFIG, TetherConfig } from '@tether/config';
import { Public } from '@tether/transport';

/** What the console's page needs to know that the page's own address does not tell it. */
export interface ConsoleConfig {
  /** where the gateway's socket.io is reached (TETHER_CONSOLE_GATEWAY_URL), else null: the page's host */
  gatewayUrl: string | null;
  /** the gateway's port, for a page that builds the URL from its own host */
  gatewayPort: number;
}

/**
 * The web console's one dynamic file. Public like its static files (mountConsole): it carries no data, and every
 * call the console makes carries the token its user signs in with.
 */
@ApiExcludeController()
@Controller('console')
export class ConsoleController {
  constructor(@Inject(TETHER_CONFIG) private readonly config: TetherConfig) {}

  @Public()
  @Get('config.json')
  consoleConfig(): ConsoleConfig {
    return { gatewayUrl: this.config.consoleGatewayUrl ?? null, gatewayPort: this.config.ports.gateway };
  }
}
