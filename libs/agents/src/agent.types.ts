import type { Channel, Line, PresenceState } from '@tether/routing';

export interface Agent {
  id: string;
  name: string;
  lines: Line[];
  skills: Record<string, number>;
  capacity: Partial<Record<Channel, number>>;
  presence: { state: PresenceState; connected: boolean; since: string };
  createdAt: string;
  updatedAt: string;
}

export interface NewAgent {
  name: string;
  lines: Line[];
  skills?: Record<string, number>;
  capacity?: Partial<Record<Channel, number>>;
}

export type AgentChanges = Partial<NewAgent>;

export const DEFAULT_CAPACITY: Partial<Record<Channel, number>> = { voice: 1 };
