import { Injectable } from '@nestjs/common';
import { Line, RoutingRules, RoutingRulesPatch, mergeRoutingRules } from '@tether/routing';
import { ContactDispatcher } from './contact-dispatcher.service';
import {
  LineRoutingRepository,
  RoutingVersionEntry,
  RoutingWrite,
  VersionedRules,
} from './line-routing.repository';

export type RulesView = VersionedRules & { line: Line };

/**
 * A line's routing rules as admins read and replace them: every write is a new version with its author, and applies
 * to the very next routing pass.
 */
@Injectable()
export class RoutingRulesService {
  constructor(
    private readonly rules: LineRoutingRepository,
    private readonly dispatcher: ContactDispatcher,
  ) {}

  async view(line: Line): Promise<RulesView> {
    return { line, ...(await this.rules.get(line)) };
  }

  /** Replaces the rules (missing fields take their defaults), routes the line again under them, returns them. */
  async replace(line: Line, patch: RoutingRulesPatch, write: RoutingWrite): Promise<RulesView> {
    const rules: RoutingRules = mergeRoutingRules(patch);
    await this.rules.put(line, rules, write);
    this.dispatcher.request(line);
    return this.view(line);
  }

  /** Makes an earlier version's rules live again, as a new version; the next routing pass decides by them. */
  async rollback(line: Line, version: number, write: RoutingWrite): Promise<RulesView> {
    await this.rules.rollback(line, version, write);
    this.dispatcher.request(line);
    return this.view(line);
  }

  versions(line: Line, limit: number): Promise<RoutingVersionEntry[]> {
    return this.rules.versions(line, limit);
  }

  async version(line: Line, version: number): Promise<RoutingRules & { version: number; line: Line }> {
    return { line, ...(await this.rules.version(line, version)) };
  }
}
