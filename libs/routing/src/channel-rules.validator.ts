import { CHANNELS, type Channel } from './routing.types';

export interface ChannelRuleProblem {
  /** JSON path of the offending field, e.g. `channels.email.offerTimeoutSeconds` */
  path: string;
  message: string;
}

const SETTINGS: Record<string, { min: number; max: number; voice: boolean }> = {
  offerTimeoutSeconds: { min: 1, max: 86_400, voice: true },
  wrapUpSeconds: { min: 0, max: 3_600, voice: true },
  idleSeconds: { min: 10, max: 30 * 86_400, voice: false },
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isChannel = (value: unknown): value is Channel =>
  typeof value === 'string' && (CHANNELS as readonly string[]).includes(value);

const intIn = (value: unknown, min: number, max: number): boolean =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

/**
 * Every problem of a line's per-channel settings (`channels`) and cross-channel capacity rule (`crossChannel`), each
 * with its JSON path. Absent (undefined or null) is valid: the line's settings and each channel's capacity alone.
 */
export function validateChannelRules(channels: unknown, crossChannel: unknown): ChannelRuleProblem[] {
  const problems: ChannelRuleProblem[] = [];
  const channelList = CHANNELS.join(', ');
  if (channels !== undefined && channels !== null) {
    if (!isObject(channels))
      problems.push({ path: 'channels', message: `must map channels (${channelList}) to settings` });
    else
      for (const [channel, settings] of Object.entries(channels)) {
        const path = `channels.${channel}`;
        if (!isChannel(channel)) {
          problems.push({ path, message: `is not a channel (${channelList})` });
          continue;
        }
        if (!isObject(settings)) {
          problems.push({ path, message: `must be { ${Object.keys(SETTINGS).join('?, ')}? }` });
          continue;
        }
        for (const [name, value] of Object.entries(settings)) {
          const bounds = SETTINGS[name];
          if (bounds === undefined || (!bounds.voice && channel === 'voice'))
            problems.push({
              path: `${path}.${name}`,
              message: `is not a setting of ${channel} (${Object.keys(SETTINGS)
                .filter((n) => channel !== 'voice' || SETTINGS[n].voice)
                .join(', ')})`,
            });
          else if (!intIn(value, bounds.min, bounds.max))
            problems.push({
              path: `${path}.${name}`,
              message: `must be a whole number of seconds from ${bounds.min} to ${bounds.max}`,
            });
        }
      }
  }
  if (crossChannel !== undefined && crossChannel !== null) {
    if (!isObject(crossChannel)) {
      problems.push({ path: 'crossChannel', message: 'must be { blocks?, weights?, maxWeight? }' });
      return problems;
    }
    const { blocks, weights, maxWeight, ...rest } = crossChannel;
    for (const name of Object.keys(rest))
      problems.push({ path: `crossChannel.${name}`, message: 'is not a field (blocks, weights, maxWeight)' });
    if (blocks !== undefined) {
      if (!isObject(blocks))
        problems.push({
          path: 'crossChannel.blocks',
          message: 'must map a held channel to the channels it blocks',
        });
      else
        for (const [held, blocked] of Object.entries(blocks)) {
          const path = `crossChannel.blocks.${held}`;
          if (!isChannel(held)) problems.push({ path, message: `is not a channel (${channelList})` });
          else if (
            !Array.isArray(blocked) ||
            !blocked.every(isChannel) ||
            new Set(blocked).size !== blocked.length
          )
            problems.push({ path, message: `must list distinct channels (${channelList})` });
        }
    }
    if (weights !== undefined) {
      if (!isObject(weights))
        problems.push({ path: 'crossChannel.weights', message: 'must map channels to weights' });
      else
        for (const [channel, weight] of Object.entries(weights)) {
          const path = `crossChannel.weights.${channel}`;
          if (!isChannel(channel)) problems.push({ path, message: `is not a channel (${channelList})` });
          else if (!intIn(weight, 0, 100))
            problems.push({ path, message: 'must be a whole number from 0 to 100' });
        }
      if (maxWeight === undefined)
        problems.push({ path: 'crossChannel.maxWeight', message: 'is required with weights' });
    }
    if (maxWeight !== undefined && !intIn(maxWeight, 1, 1_000))
      problems.push({ path: 'crossChannel.maxWeight', message: 'must be a whole number from 1 to 1000' });
  }
  return problems;
}
