import type { OfferPayload } from '@tether/realtime';
import { OfferAnnouncements } from './offer-announcements';

const payload = (offerId: string): OfferPayload =>
  ({ offerId, expiresAt: new Date(Date.now() + 20_000).toISOString() }) as OfferPayload;

/** offer.created carries ids; the gateway reads payloads in batches: one query per turn, at most one in flight. */
describe('OfferAnnouncements', () => {
  function setup(
    options: {
      served?: (agentId: string) => boolean;
      read?: (ids: string[]) => Promise<OfferPayload[]>;
    } = {},
  ) {
    const reads: string[][] = [];
    const delivered: [string, string][] = [];
    const errors: Error[] = [];
    const announcements = new OfferAnnouncements(
      (ids) => {
        reads.push(ids);
        return options.read ? options.read(ids) : Promise.resolve(ids.map(payload));
      },
      options.served ?? (() => true),
      (agentId, offer) => delivered.push([agentId, offer.offerId]),
      (error) => errors.push(error),
    );
    return { announcements, reads, delivered, errors };
  }

  it('reads every announcement of one turn in one query and delivers each to its agent', async () => {
    const { announcements, reads, delivered } = setup();
    for (let i = 0; i < 500; i++) announcements.announce(`agent-${i % 7}`, `offer-${i}`);
    expect(reads).toEqual([]); // nothing read synchronously: the rest of the turn joins the batch
    await announcements.settled();
    expect(reads).toHaveLength(1);
    expect(reads[0]).toHaveLength(500);
    expect(delivered).toHaveLength(500);
    expect(delivered[13]).toEqual(['agent-6', 'offer-13']);
  });

  it('while a read is in flight, later announcements gather into one more read', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { announcements, reads, delivered } = setup({
      read: async (ids) => {
        if (reads.length === 1) await gate;
        return ids.map(payload);
      },
    });
    announcements.announce('a', 'o1');
    await new Promise((resolve) => setImmediate(resolve));
    expect(reads).toEqual([['o1']]);
    for (let turn = 0; turn < 5; turn++) {
      announcements.announce('a', `late-${turn}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(reads).toHaveLength(1); // held back behind the read in flight
    release();
    await announcements.settled();
    expect(reads).toEqual([['o1'], ['late-0', 'late-1', 'late-2', 'late-3', 'late-4']]);
    expect(delivered.map(([, offerId]) => offerId)).toEqual([
      'o1',
      'late-0',
      'late-1',
      'late-2',
      'late-3',
      'late-4',
    ]);
  });

  it('announcements for agents without a socket here cost no query', async () => {
    const { announcements, reads, delivered } = setup({ served: (agentId) => agentId === 'mine' });
    announcements.announce('elsewhere', 'o1');
    announcements.announce('elsewhere', 'o2');
    await announcements.settled();
    expect(reads).toEqual([]);
    announcements.announce('mine', 'o3');
    announcements.announce('elsewhere', 'o4');
    await announcements.settled();
    expect(reads).toEqual([['o3']]);
    expect(delivered).toEqual([['mine', 'o3']]);
  });

  it('an offer the read leaves out (ended meanwhile) is not delivered; a failed read is reported and the next works', async () => {
    let fail = true;
    const { announcements, delivered, errors } = setup({
      read: (ids) => {
        if (fail) {
          fail = false;
          return Promise.reject(new Error('connection reset'));
        }
        return Promise.resolve(ids.filter((id) => id !== 'ended').map(payload));
      },
    });
    announcements.announce('a', 'first');
    await announcements.settled();
    expect(errors.map((e) => e.message)).toEqual(['connection reset']);
    announcements.announce('a', 'ended');
    announcements.announce('a', 'live');
    await announcements.settled();
    // the failed batch was read again (still pending: delivered), with what was announced meanwhile
    expect(delivered).toEqual([
      ['a', 'first'],
      ['a', 'live'],
    ]);
  });

  it('a failed read is tried again after a delay that doubles, until one works', async () => {
    jest.useFakeTimers();
    try {
      let failures = 3;
      const { announcements, reads, delivered } = setup({
        read: (ids) =>
          failures-- > 0 ? Promise.reject(new Error('ECONNRESET')) : Promise.resolve(ids.map(payload)),
      });
      announcements.announce('a', 'o1');
      await jest.advanceTimersByTimeAsync(0); // the first read, at once: fails
      expect(reads).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(99);
      expect(reads).toHaveLength(1); // not before 100 ms
      await jest.advanceTimersByTimeAsync(1);
      expect(reads).toHaveLength(2); // fails again: next after 200 ms
      await jest.advanceTimersByTimeAsync(199);
      expect(reads).toHaveLength(2);
      await jest.advanceTimersByTimeAsync(1);
      expect(reads).toHaveLength(3); // and after 400 ms the fourth works
      await jest.advanceTimersByTimeAsync(400);
      expect(reads).toEqual([['o1'], ['o1'], ['o1'], ['o1']]);
      expect(delivered).toEqual([['a', 'o1']]);
      // a read that worked resets the delay: the next announcement is read at once
      announcements.announce('a', 'o2');
      await jest.advanceTimersByTimeAsync(0);
      expect(delivered).toEqual([
        ['a', 'o1'],
        ['a', 'o2'],
      ]);
    } finally {
      jest.useRealTimers();
    }
  });
});
