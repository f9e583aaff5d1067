import { etagOf, versionsFromIfMatch } from './if-match';

describe('versionsFromIfMatch', () => {
  it('absent, empty or * lets the write apply', () => {
    for (const header of [undefined, '', ' * ']) expect(versionsFromIfMatch(header)).toBeUndefined();
  });

  it('takes the version bare, quoted or weak, and lists', () => {
    expect(versionsFromIfMatch('3')).toEqual([3]);
    expect(versionsFromIfMatch('"3"')).toEqual([3]);
    expect(versionsFromIfMatch('W/"3"')).toEqual([3]);
    expect(versionsFromIfMatch('"3", "4"')).toEqual([3, 4]);
    expect(versionsFromIfMatch(['"3"', '5'])).toEqual([3, 5]);
    expect(versionsFromIfMatch(etagOf(12))).toEqual([12]);
  });

  it('anything else is a 400 naming If-Match', () => {
    expect(() => versionsFromIfMatch('"abc"')).toThrow(/If-Match/);
  });
});
