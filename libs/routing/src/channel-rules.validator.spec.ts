import { validateChannelRules } from './channel-rules.validator';

describe('validateChannelRules', () => {
  const paths = (channels: unknown, cross: unknown) =>
    validateChannelRules(channels, cross).map((p) => p.path);

  it('absent is valid (the line’s settings, each channel’s capacity alone)', () => {
    expect(paths(undefined, undefined)).toEqual([]);
    expect(paths(null, null)).toEqual([]);
  });

  it('accepts per-channel settings and a rule of blocks and weights', () => {
    expect(
      paths(
        {
          email: { offerTimeoutSeconds: 3600, wrapUpSeconds: 60, idleSeconds: 86_400 },
          voice: { wrapUpSeconds: 5 },
        },
        { blocks: { voice: ['chat', 'messenger'] }, weights: { voice: 3, email: 0 }, maxWeight: 4 },
      ),
    ).toEqual([]);
  });

  it('names each offending field by its JSON path', () => {
    expect(
      paths(
        { fax: {}, email: { offerTimeoutSeconds: 0, colour: 1 }, voice: { idleSeconds: 60 } },
        { blocks: { voice: ['chat', 'chat'], pigeon: ['chat'] }, weights: { voice: -1 }, other: true },
      ).sort(),
    ).toEqual(
      [
        'channels.fax',
        'channels.email.offerTimeoutSeconds',
        'channels.email.colour',
        'channels.voice.idleSeconds',
        'crossChannel.other',
        'crossChannel.blocks.voice',
        'crossChannel.blocks.pigeon',
        'crossChannel.weights.voice',
        'crossChannel.maxWeight',
      ].sort(),
    );
  });
});
