/**
 * Bare-transport floor: the same load generator and agent fleet as the lifecycle part, driving
 * bare-transport.server.ts (node:http + socket.io, HMAC check, in-memory queue, no Nest, no database). Its
 * webhook->offer latency and its highest sustained rate are what the transport alone costs on this machine;
 * Tether's figures are reported as ratios to them.
 *
 *   1. ramp: 200 agents at the lifecycle part's rates, then on (3000, 4000, ...) until a step is not
 *      sustained (at the top the load generator, on the same 2 cores, is part of what saturates).
 *   2. latency target twin: 1,000 agents at 200 calls/s.
 *
 * Run through `npm run bench -- transport`. Options as the lifecycle part (--agents, --rates, --step-seconds,
 * --drain-seconds, --target-agents, --target-rate, --target-seconds, --no-target).
 */
import { BenchArgs, header, sleep, writeJson } from '../common/bench-cli';
import { runBench } from '../common/bench-main';
import { rssBytes } from '../common/proc-stats';
import { fmt } from '../common/stats';
import { BENCH_SECRETS } from '../common/tether-processes';
import { AgentFleet } from '../load/agent-fleet';
import { CallLedger } from '../load/call-ledger';
import { CallbackReceiver } from '../load/callback-receiver';
import { DEFAULT_RATES, LoadRun, StepResult } from '../load/load-run';
import { startBareTransport } from './start-bare-transport';

const args = new BenchArgs();
const AGENTS = args.number('agents', 200);
const RATES = args.numbers('rates', DEFAULT_RATES);
/** the lifecycle part's rates, then on until the floor breaks (at the top, the load generator is part of the limit) */
const FLOOR_RATES = [...RATES, ...[3000, 4000, 6000, 8000].filter((rate) => rate > Math.max(...RATES))];
const STEP_SECONDS = args.number('step-seconds', 10);
const DRAIN_SECONDS = args.number('drain-seconds', 15);
const TARGET_AGENTS = args.number('target-agents', 1000);
const TARGET_RATE = args.number('target-rate', 200);
const TARGET_SECONDS = args.number('target-seconds', 15);

let ledger = new CallLedger();
const receiver = new CallbackReceiver(BENCH_SECRETS.webhookSecret, () => ledger);

async function scenario(
  agents: number,
  callbackUrl: string,
): Promise<{ run: LoadRun; stop: () => Promise<void>; idleRssMb: number }> {
  const server = await startBareTransport({ secret: BENCH_SECRETS.webhookSecret, callbackUrl });
  const fleet = new AgentFleet(
    server.url,
    Array.from({ length: agents }, (_, i) => ({
      agentId: `bare-agent-${i + 1}`,
      token: `bare-agent-${i + 1}`,
    })),
    () => ledger,
  );
  await fleet.connect();
  await fleet.goAvailable();
  await sleep(1_000);
  const run = new LoadRun(
    {
      name: `bare transport, ${agents} agents`,
      lineUrl: server.url,
      pid: server.process.pid,
      secret: BENCH_SECRETS.webhookSecret,
    },
    `bare${agents}`,
    fleet,
  );
  ledger = run.ledger;
  return {
    run,
    idleRssMb: Math.round((rssBytes(server.process.pid) ?? 0) / 1048576),
    stop: async () => {
      fleet.close();
      run.close();
      await server.process.stop();
    },
  };
}

async function main(): Promise<void> {
  const callbackUrl = await receiver.listen();
  try {
    header(`ramp: ${AGENTS} agents, ${STEP_SECONDS} s per rate`);
    const ramp = await scenario(AGENTS, callbackUrl);
    const steps = await ramp.run.ramp(FLOOR_RATES, STEP_SECONDS, DRAIN_SECONDS);
    await ramp.run.finalDrain(30_000);
    await ramp.stop();
    const sustained = steps.filter((step) => step.sustained);
    const maxSustainedRate = sustained.length > 0 ? Math.max(...sustained.map((step) => step.targetRate)) : 0;
    const bestAchievedRate = Math.max(0, ...steps.map((step) => step.achievedRate));
    console.log(
      `\nbare transport: max sustained rate ${maxSustainedRate}/s (best completed rate ${fmt(bestAchievedRate)}/s)`,
    );

    let latencyTarget: StepResult | undefined;
    if (!args.flag('no-target')) {
      header(`latency target twin: ${TARGET_AGENTS} agents, ${TARGET_RATE} calls/s for ${TARGET_SECONDS} s`);
      const big = await scenario(TARGET_AGENTS, callbackUrl);
      latencyTarget = await big.run.step({
        label: `${TARGET_RATE}/s`,
        rate: TARGET_RATE,
        durationS: TARGET_SECONDS,
        drainS: DRAIN_SECONDS,
      });
      await big.run.finalDrain(30_000);
      await big.stop();
    }
    writeJson(args.string('json'), {
      settings: { agents: AGENTS, rates: FLOOR_RATES, stepSeconds: STEP_SECONDS, thinkMs: '0-5' },
      idleRssMb: ramp.idleRssMb,
      ramp: steps,
      maxSustainedRate,
      bestAchievedRate,
      latencyTarget,
      latencyTargetSettings: { agents: TARGET_AGENTS, rate: TARGET_RATE, seconds: TARGET_SECONDS },
    });
  } finally {
    await receiver.close();
  }
}

runBench(main);
