import { Injectable } from '@nestjs/common';
import { Line, RoutingRules, RoutingRulesPatch, mergeRoutingRules } from '@tether/routing';
import { ContactDispatcher } from './contact-dispatcher.service';
import { LineRoutingRepository, VersionedRules } from './line-routing.repository';

export type RulesView = VersionedRules & { line: Line };

/** A line's routing rules as admins read and replace them: a replacement applies to the very next routing pass. */
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
  async replace(line: Line, patch: RoutingRulesPatch): Promise<RulesView> {
    const rules: RoutingRules = mergeRoutingRules(patch);
    await this.rules.put(line, rules);
    this.dispatcher.request(line);
    return this.view(line);
  }
}
