import type { Channel, Line, PresenceState } from '@tether/routing';

export interface Agent {
  id: string;
  name: string;
  lines: Line[];
  skills: Record<string, number>;
  capacity: Partial<Record<Channel, number>>;
  presence: { state: PresenceState; connected: boolean; since: string };
  /** who takes this agent's customers and cases when they cannot (offline; removed): another agent's id, or null */
  deputyId: string | null;
  /** the agent's team, or null: a case's team takes its customers after the owner's deputy */
  team: string | null;
  /**
   * where a telephony platform that dials agents itself (Twilio) bridges their calls: `client:<identity>` or
   * `sip:<uri>`; null: the Client identity is the agent's id
   */
  voiceEndpoint: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewAgent {
  name: string;
  lines: Line[];
  skills?: Record<string, number>;
  capacity?: Partial<Record<Channel, number>>;
  deputyId?: string | null;
  team?: string | null;
  voiceEndpoint?: string | null;
}

export type AgentChanges = Partial<NewAgent>;

export const DEFAULT_CAPACITY: Partial<Record<Channel, number>> = { voice: 1 };
