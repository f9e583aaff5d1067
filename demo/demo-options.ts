import { parseArgs } from 'node:util';

export interface DemoOptions {
  /** calls placed per minute, across the three lines */
  rate: number;
  /** simulated agents signed in */
  agents: number;
  /** seconds of placing calls before stopping by itself; 0: until Ctrl-C */
  durationSeconds: number;
  /** after the last call is placed, how long calls in progress get to finish before the rest are hung up */
  drainSeconds: number;
}

export const DEMO_USAGE = `usage: npm run demo -- [--rate 6] [--agents 6] [--duration 0] [--drain 30]

  --rate N       calls per minute across sales, presales and service (default 6; at most 120)
  --agents N     simulated agents to sign in (default 6; 1 to 40)
  --duration S   stop by itself after S seconds (default 0: until Ctrl-C)
  --drain S      on stopping, calls in progress get S seconds to finish before the rest are hung up (default 30)

Against the Tether that answers on ADMIN_PORT (default 3000), or, when nothing does, one it starts itself.
`;

/** Parses the command line; a bad value is reported naming the option. */
export function parseDemoOptions(argv: readonly string[]): DemoOptions | { error: string } | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        rate: { type: 'string', default: '6' },
        agents: { type: 'string', default: '6' },
        duration: { type: 'string', default: '0' },
        drain: { type: 'string', default: '30' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
  if (parsed.values.help) return 'help';
  const number = (name: string, raw: string, min: number, max: number, integer: boolean) => {
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value)))
      throw new Error(
        `--${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max} (got ${raw})`,
      );
    return value;
  };
  try {
    return {
      rate: number('rate', parsed.values.rate, 0.1, 120, false),
      agents: number('agents', parsed.values.agents, 1, 40, true),
      durationSeconds: number('duration', parsed.values.duration, 0, 86_400, false),
      drainSeconds: number('drain', parsed.values.drain, 0, 600, false),
    };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
