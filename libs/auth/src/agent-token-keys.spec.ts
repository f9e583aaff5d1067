import { AgentTokenKeys, agentTokenKeyId } from './agent-token-keys';

const CURRENT = 'current-agent-token-secret-0f9e8d7c6b5a';
const PREVIOUS = 'previous-agent-token-secret-1a2b3c4d5e6f';

describe('AgentTokenKeys', () => {
  it('derives a stable key id from the secret that reveals nothing of it', () => {
    expect(agentTokenKeyId(CURRENT)).toBe(agentTokenKeyId(CURRENT));
    expect(agentTokenKeyId(CURRENT)).not.toBe(agentTokenKeyId(PREVIOUS));
    expect(agentTokenKeyId(CURRENT)).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(CURRENT).not.toContain(agentTokenKeyId(CURRENT));
  });

  it('signs with the current key; verifies with the key a kid names: current, or previous while it is set', () => {
    const rotating = new AgentTokenKeys(CURRENT, PREVIOUS);
    expect(rotating.current).toEqual({ kid: agentTokenKeyId(CURRENT), secret: CURRENT });
    expect(rotating.secretFor(agentTokenKeyId(CURRENT))).toBe(CURRENT);
    expect(rotating.secretFor(agentTokenKeyId(PREVIOUS))).toBe(PREVIOUS);
    const done = new AgentTokenKeys(CURRENT);
    expect(done.secretFor(agentTokenKeyId(PREVIOUS))).toBeUndefined();
    expect(done.secretFor(agentTokenKeyId(CURRENT))).toBe(CURRENT);
  });

  it('refuses a kid that names no key, or is not a string; no kid at all means the current key', () => {
    const keys = new AgentTokenKeys(CURRENT, PREVIOUS);
    for (const kid of ['', 'unknown', agentTokenKeyId('another-secret-entirely-000000000000'), null, 7, {}])
      expect(keys.secretFor(kid)).toBeUndefined();
    expect(keys.secretFor(undefined)).toBe(CURRENT);
  });
});
