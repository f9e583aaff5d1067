import type { PassAgent } from './pass-agent';

/**
 * A contact's required skills in the form the hot loop wants: parallel arrays instead of an object
 * walk, and skill ids that index each agent's per-pass level cache.
 */
export interface SkillRequirement {
  /** identity of the requirement: contacts with equal keys qualify exactly the same agents */
  readonly key: string;
  /** sorted, so that equal requirements written in a different order share one key */
  readonly names: readonly string[];
  /** per entry of `names`: its id in this pass, an index into `PassAgent.levels` */
  readonly skillIds: readonly number[];
  /** per entry of `names`: the minimum level */
  readonly minimums: readonly number[];
  /** `billing>=5, tech>=3`, for traces; empty when nothing is required */
  readonly label: string;
}

/**
 * Compiles requirements for one pass. Equal requirements come back as the same object, so the
 * label is built once and pools can keep progress per requirement. Skill names get small integer ids
 * so that an agent's level is read from an array: reading `skills[name]` from 1,000 differently
 * shaped objects is a slow dictionary lookup every time.
 */
export class RequirementCompiler {
  private readonly skillIds = new Map<string, number>();
  private readonly compiled = new Map<string, SkillRequirement>();

  compile(required: Readonly<Record<string, number>>): SkillRequirement {
    const names = Object.keys(required);
    if (names.length > 1) names.sort();
    const skillIds = names.map((name) => this.skillId(name));
    const minimums = names.map((name) => required[name]);
    // Ids and numbers only, so two different requirements can never share a key, whatever the skill names.
    let key = '';
    for (let i = 0; i < skillIds.length; i++) key += `${skillIds[i]}>=${minimums[i]};`;
    let requirement = this.compiled.get(key);
    if (requirement === undefined) {
      const label = names.map((name, i) => `${name}>=${minimums[i]}`).join(', ');
      requirement = { key, names, skillIds, minimums, label };
      this.compiled.set(key, requirement);
    }
    return requirement;
  }

  private skillId(name: string): number {
    let id = this.skillIds.get(name);
    if (id === undefined) {
      id = this.skillIds.size;
      this.skillIds.set(name, id);
    }
    return id;
  }
}

/**
 * An agent's level in a skill; anything that is not a number counts as 0. Reading through `typeof`
 * also keeps a skill named like an Object.prototype member (`constructor`) from counting as held.
 */
export function skillLevel(skills: Readonly<Record<string, number>>, name: string): number {
  const level = skills[name];
  return typeof level === 'number' ? level : 0;
}

/** The agent's level in entry `index` of the requirement, read once per pass from their skills. */
export function levelFor(member: PassAgent, requirement: SkillRequirement, index: number): number {
  const id = requirement.skillIds[index];
  let level = member.levels[id];
  if (level === undefined) {
    level = skillLevel(member.agent.skills, requirement.names[index]);
    member.levels[id] = level;
  }
  return level;
}

export function meetsRequirement(member: PassAgent, requirement: SkillRequirement): boolean {
  const { minimums } = requirement;
  for (let i = 0; i < minimums.length; i++) {
    if (levelFor(member, requirement, i) < minimums[i]) return false;
  }
  return true;
}
