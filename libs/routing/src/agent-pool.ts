import { CHANNEL_INDEX, compareIds, type PassAgent } from './pass-agent';
import type { Channel, Line } from './routing.types';
import { levelFor, meetsRequirement, type SkillRequirement } from './requirement-compiler';

/** How far the pass has got through the pool for one distinct skill requirement. */
interface RequirementProgress {
  /**
   * Members before this index can never serve this requirement again in the pass: they lack the
   * skills (skills do not change mid-pass) or are full (capacity only shrinks). Resuming here keeps a
   * long queue with few distinct requirements from rescanning the same unqualified agents.
   */
  cursor: number;
  /** the pool has nobody left for this requirement; final for the pass for the same reasons */
  exhausted: boolean;
  /** cached "why nobody" trace, valid while the pool's free count is still `explainedAt` */
  explainedAt: number;
  explanation: string;
}

/**
 * Agents ready to take one channel on one line, longest idle first. Built once per pass; members
 * that fill up stay in the array and are skipped, which is cheaper than splicing a 1,000-entry list.
 */
export class AgentPool {
  private readonly channelIndex: number;
  private readonly progress = new Map<string, RequirementProgress>();
  private free: number;

  private constructor(
    readonly line: Line,
    readonly channel: Channel,
    private readonly members: readonly PassAgent[],
  ) {
    this.channelIndex = CHANNEL_INDEX[channel];
    this.free = members.length;
  }

  static build(line: Line, channel: Channel, agents: readonly PassAgent[]): AgentPool {
    const index = CHANNEL_INDEX[channel];
    const members = agents
      .filter((a) => a.ready && a.remaining[index] > 0 && a.agent.lines.includes(line))
      .sort((a, b) => a.idleSinceMs - b.idleSinceMs || compareIds(a.agent.id, b.agent.id));
    return new AgentPool(line, channel, members);
  }

  /** members with a slot left on this channel */
  get freeCount(): number {
    return this.free;
  }

  /** The pass filled one member's last slot on this channel. */
  memberFilled(): void {
    this.free--;
  }

  /** The longest-idle member with a free slot who meets `requirement` and is not in `excluded`. */
  find(requirement: SkillRequirement, excluded: ReadonlySet<string> | null): PassAgent | null {
    const progress = this.progressFor(requirement);
    if (progress.exhausted || this.free === 0) return null;
    const { members, channelIndex } = this;
    let cursor = progress.cursor;
    // Only a prefix of agents that are permanently out may be skipped for later contacts; an agent
    // passed over because *this* contact excluded them may still suit the next one.
    let prefixIsPermanent = true;
    for (let i = cursor; i < members.length; i++) {
      const member = members[i];
      if (member.remaining[channelIndex] <= 0 || !meetsRequirement(member, requirement)) {
        if (prefixIsPermanent) cursor = i + 1;
        continue;
      }
      if (excluded !== null && excluded.has(member.agent.id)) {
        prefixIsPermanent = false;
        continue;
      }
      progress.cursor = cursor;
      return member;
    }
    progress.cursor = cursor;
    if (prefixIsPermanent) progress.exhausted = true;
    return null;
  }

  /** Why `find` came back empty, in words fit for a trace (counts and skill names, never personal data). */
  explainNoMatch(requirement: SkillRequirement, excluded: ReadonlySet<string> | null): string {
    if (this.free === 0) return `no agent on line ${this.line} with ${this.channel} capacity free`;
    const progress = this.progressFor(requirement);
    const cacheable = excluded === null;
    if (cacheable && progress.explainedAt === this.free) return progress.explanation;

    const { names, minimums } = requirement;
    const lacking = new Array<number>(names.length).fill(0);
    let declined = 0;
    for (const member of this.members) {
      if (member.remaining[this.channelIndex] <= 0) continue;
      let qualifies = true;
      for (let i = 0; i < names.length; i++) {
        if (levelFor(member, requirement, i) < minimums[i]) {
          lacking[i]++;
          qualifies = false;
        }
      }
      if (qualifies && excluded !== null && excluded.has(member.agent.id)) declined++;
    }
    const reasons = names
      .map((name, i) =>
        lacking[i] > 0
          ? `${lacking[i]} ${lacking[i] === 1 ? 'lacks' : 'lack'} skill ${name}>=${minimums[i]}`
          : '',
      )
      .filter((reason) => reason !== '');
    if (declined > 0) reasons.push(`${declined} already declined this contact`);
    const agents = this.free === 1 ? '1 free agent' : `${this.free} free agents`;
    const explanation = `none of ${agents} on line ${this.line} with ${this.channel} capacity is eligible: ${reasons.join(', ')}`;
    if (cacheable) {
      progress.explainedAt = this.free;
      progress.explanation = explanation;
    }
    return explanation;
  }

  private progressFor(requirement: SkillRequirement): RequirementProgress {
    let progress = this.progress.get(requirement.key);
    if (progress === undefined) {
      progress = { cursor: 0, exhausted: false, explainedAt: -1, explanation: '' };
      this.progress.set(requirement.key, progress);
    }
    return progress;
  }
}
