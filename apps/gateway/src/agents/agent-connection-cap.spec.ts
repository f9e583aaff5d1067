import { AgentConnectionCap } from './agent-connection-cap';

describe('AgentConnectionCap', () => {
  it('admits up to max sockets per agent, each agent on its own', () => {
    const cap = new AgentConnectionCap(2);
    expect(cap.tryTake('a', 's1')).toBe(true);
    expect(cap.tryTake('a', 's2')).toBe(true);
    expect(cap.tryTake('a', 's3')).toBe(false);
    expect(cap.tryTake('b', 's4')).toBe(true);
    expect(cap.countOf('a')).toBe(2);
  });

  it('a released place can be taken again; taking the same socket twice costs one place', () => {
    const cap = new AgentConnectionCap(1);
    expect(cap.tryTake('a', 's1')).toBe(true);
    expect(cap.tryTake('a', 's1')).toBe(true);
    expect(cap.tryTake('a', 's2')).toBe(false);
    cap.release('a', 's1');
    expect(cap.countOf('a')).toBe(0);
    expect(cap.tryTake('a', 's2')).toBe(true);
  });
});
