import { loadConfigOrExit } from '@tether/config';
import { AdminApi } from './admin-api';
import { DEMO_USAGE, parseDemoOptions } from './demo-options';
import { DemoFloor } from './demo-floor';
import { DemoPrinter } from './demo-printer';
import { DEMO_LINES, qualifiesFor, seedDemo } from './demo-seed';
import { SimulatedAgent } from './simulated-agent';
import { connectOrStartTether, type TetherTarget } from './tether-target';

/**
 * `npm run demo`: the first fifteen minutes. Seeds agents, intents and customers (reusing an earlier run's), signs
 * simulated agents in, places signed calls on the three lines and prints what happens, until Ctrl-C (or --duration):
 * then no new calls, the ones in progress finish (up to --drain seconds, a second Ctrl-C cuts that short), the rest
 * are hung up, the agents complete what they hold and sign out. The data stays, to explore in the console.
 */
async function main(): Promise<number> {
  const options = parseDemoOptions(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(DEMO_USAGE);
    return 0;
  }
  if ('error' in options) {
    process.stderr.write(`${options.error}\n\n${DEMO_USAGE}`);
    return 2;
  }
  const printer = new DemoPrinter();
  const config = loadConfigOrExit(process.env, { apps: [...DEMO_LINES] });

  let interrupts = 0;
  let wake: () => void = () => undefined;
  let lastInterrupt = 0;
  process.on('SIGINT', () => {
    // under `npm run`, one Ctrl-C arrives twice (from the terminal, and forwarded by npm): count it once
    if (Date.now() - lastInterrupt < 1_000) return;
    lastInterrupt = Date.now();
    interrupts++;
    if (interrupts === 1)
      printer.event(
        'stop',
        'Ctrl-C: no new calls; letting the calls in progress finish (Ctrl-C again to hang up now)',
      );
    if (interrupts === 2) printer.event('stop', 'Ctrl-C again: hanging up now');
    if (interrupts >= 3) process.exit(130);
    wake();
  });
  process.on('SIGTERM', () => {
    interrupts = 2;
    wake();
  });

  let tether: TetherTarget | undefined;
  const agents: SimulatedAgent[] = [];
  try {
    tether = await connectOrStartTether(config, printer);
    if (interrupts > 0) return 0;
    const admin = new AdminApi(tether.adminUrl, tether.adminToken);
    const seeded = await seedDemo(admin, options.agents);
    printer.event(
      'seed',
      `${seeded.agents.length} agents (${seeded.agentsCreated} new), ${seeded.intentsAdded} intents added, ` +
        `${seeded.customersCreated} customers new (the rest reused from an earlier run)`,
    );
    const agentsPerLine = Object.fromEntries(
      DEMO_LINES.map((line) => [line, seeded.agents.filter((a) => a.lines.includes(line)).length]),
    ) as Record<(typeof DEMO_LINES)[number], number>;
    const floor = new DemoFloor(
      tether,
      printer,
      options.rate,
      agentsPerLine,
      (line, intent) =>
        seeded.agents.filter((a) => a.lines.includes(line) && qualifiesFor(a.skills, line, intent)).length,
    );
    for (const agent of seeded.agents) {
      const { token } = await admin.expect<{ token: string }>('POST', `/v1/agents/${agent.id}/tokens`, [201]);
      agents.push(new SimulatedAgent(agent, tether.gatewayUrl, token, floor));
    }
    await Promise.all(agents.map((agent) => agent.start()));
    printer.event(
      'agents',
      `${agents.map((a) => `${a.name} (${a.agent.lines.join('+')})`).join(', ')}: available`,
    );
    printer.note('');
    printer.note(`  Watch it in the console: ${tether.consoleUrl}`);
    printer.note(`  Placing about ${options.rate} calls a minute; Ctrl-C stops (the data stays).`);
    printer.note('');

    floor.startCalling();
    const summaries = setInterval(() => printer.event('──', floor.summary()), 30_000);
    const endAt = options.durationSeconds > 0 ? Date.now() + options.durationSeconds * 1000 : Infinity;
    await new Promise<void>((done) => {
      wake = done;
      if (endAt !== Infinity) setTimeout(done, endAt - Date.now());
      if (interrupts > 0) done();
    });
    await floor.stopCalling();
    if (interrupts < 2) {
      if (floor.inProgress > 0)
        printer.event(
          'stop',
          `${floor.inProgress} calls in progress: up to ${options.drainSeconds} s to finish`,
        );
      await floor.drain(options.drainSeconds * 1000, () => interrupts >= 2);
    }
    await floor.hangUpAll();
    await Promise.all(agents.map((agent) => agent.stop()));
    clearInterval(summaries);
    printer.event('──', floor.summary());
    const { placed, completed } = floor.counts();
    printer.note(`\nDemo over: ${completed} of ${placed} calls completed.`);
    printer.note(
      tether.startedHere
        ? `Tether stops now; the data stays in ${config.dataDir}: npm start, then open ${tether.consoleUrl}`
        : `The data stays: explore it in ${tether.consoleUrl}`,
    );
    return 0;
  } catch (error) {
    printer.event('problem', error instanceof Error ? error.message : String(error));
    await Promise.allSettled(agents.map((agent) => agent.client.close()));
    return 1;
  } finally {
    await tether?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
