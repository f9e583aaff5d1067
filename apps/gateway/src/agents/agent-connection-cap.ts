/**
 * At most `max` sockets per agent on this gateway (TETHER_AGENT_MAX_SOCKETS): a leaked or shared token cannot open
 * thousands. A place is taken in the handshake, before the socket exists as connected, so simultaneous handshakes
 * of one agent cannot all slip through; it is given back when the socket disconnects, or at once if the handshake
 * never became a connection.
 */
export class AgentConnectionCap {
  private readonly held = new Map<string, Set<string>>();

  constructor(readonly max: number) {}

  /** Takes a place for `socketId`; false when the agent already holds `max`. */
  tryTake(agentId: string, socketId: string): boolean {
    let sockets = this.held.get(agentId);
    if (!sockets) this.held.set(agentId, (sockets = new Set()));
    if (sockets.has(socketId)) return true;
    if (sockets.size >= this.max) return false;
    sockets.add(socketId);
    return true;
  }

  release(agentId: string, socketId: string): void {
    const sockets = this.held.get(agentId);
    if (!sockets) return;
    sockets.delete(socketId);
    if (sockets.size === 0) this.held.delete(agentId);
  }

  countOf(agentId: string): number {
    return this.held.get(agentId)?.size ?? 0;
  }
}
