import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import type {
  BusinessCalendar,
  Channel,
  ChannelSettings,
  CrossChannelRule,
  NeverMatchPair,
  QueueLimit,
  RoutingRule,
} from '@tether/routing';
import {
  IsArray,
  IsBoolean,
  IsDefined,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateNested,
  ValidationArguments,
  registerDecorator,
} from 'class-validator';

export class StickyRulesDto {
  @ApiProperty({ example: true })
  @IsDefined()
  @IsBoolean()
  enabled: boolean;

  @ApiProperty({
    example: 30,
    description:
      'how long a returning caller waits for their last agent while that agent is signed in but not free',
  })
  @IsDefined()
  @Max(3600)
  @Min(0)
  @IsInt()
  waitSeconds: number;

  @ApiPropertyOptional({ example: 30, description: 'how far back the last agent counts (days), default 30' })
  @IsOptional()
  @Max(3650)
  @Min(1)
  @IsInt()
  horizonDays?: number;

  @ApiPropertyOptional({
    example: false,
    description:
      'a message contact (chat, e-mail, messenger, social) goes to the customer’s last agent of any channel; default false: of the same channel',
  })
  @IsOptional()
  @IsBoolean()
  acrossChannels?: boolean;
}

/** A line's callback policy; every field optional (defaults in the description). */
export class CallbackRulesDto {
  @ApiPropertyOptional({
    example: 120,
    nullable: true,
    description:
      'the webhook answers callbackOffered: true when the estimated wait exceeds this (seconds); null (default): never offered',
  })
  @IsOptional()
  @Max(86_400)
  @Min(0)
  @IsInt()
  offerAfterWaitSeconds?: number | null;

  @ApiPropertyOptional({
    example: 3600,
    description: 'a callback confirmed without a window is due within this (seconds), default 3600',
  })
  @IsOptional()
  @Max(7 * 86_400)
  @Min(60)
  @IsInt()
  dueSeconds?: number;

  @ApiPropertyOptional({
    example: 300,
    description: 'its owner is reminded this long before it is due, default 300',
  })
  @IsOptional()
  @Max(86_400)
  @Min(0)
  @IsInt()
  reminderSeconds?: number;

  @ApiPropertyOptional({ example: 3, description: 'dial attempts before it is given up, default 3' })
  @IsOptional()
  @Max(10)
  @Min(1)
  @IsInt()
  maxAttempts?: number;

  @ApiPropertyOptional({
    example: 300,
    description: 'the wait after a failed attempt (seconds), default 300',
  })
  @IsOptional()
  @Max(86_400)
  @Min(5)
  @IsInt()
  retrySeconds?: number;
}

/** Rules are read on every routing decision of their line: an intent map is bounded, like an agent's skills. */
export const MAX_INTENTS = 200;
const MAX_SKILLS_PER_INTENT = 100;

function HasAtMostEntries(max: number) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'hasAtMostEntries',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) =>
          typeof value !== 'object' || value === null || Object.keys(value).length <= max,
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must have at most ${max} entries (got ${Object.keys(args.value as object).length})`,
      },
    });
}

function IsIntentMap() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isIntentMap',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Object.entries(value as Record<string, unknown>).every(([intent, rule]) => {
            if (
              !/^[A-Za-z0-9_.-]{1,64}$/.test(intent) ||
              typeof rule !== 'object' ||
              rule === null ||
              Array.isArray(rule)
            )
              return false;
            const { skills, priority, ...rest } = rule as Record<string, unknown>;
            if (Object.keys(rest).length > 0) return false;
            if (
              priority !== undefined &&
              !(Number.isInteger(priority) && (priority as number) >= -100 && (priority as number) <= 100)
            )
              return false;
            if (typeof skills !== 'object' || skills === null || Array.isArray(skills)) return false;
            if (Object.keys(skills).length > MAX_SKILLS_PER_INTENT) return false;
            return Object.entries(skills as Record<string, unknown>).every(
              ([skill, level]) =>
                /^[A-Za-z0-9_.-]{1,64}$/.test(skill) &&
                Number.isInteger(level) &&
                (level as number) >= 1 &&
                (level as number) <= 10,
            );
          }),
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must map an IVR intent to { "skills": { "<skill>": 1-10, at most ${MAX_SKILLS_PER_INTENT} }, "priority"?: -100..100 }`,
      },
    });
}

/** GET returns exactly this shape plus read-only fields (line, version, updatedAt), which PUT accepts and ignores. */
export class RoutingRulesDto {
  @ApiProperty({ type: StickyRulesDto })
  @IsDefined()
  @Type(() => StickyRulesDto)
  @ValidateNested()
  @IsObject()
  sticky: StickyRulesDto;

  @ApiProperty({ example: 20 })
  @IsDefined()
  @Max(600)
  @Min(1)
  @IsInt()
  offerTimeoutSeconds: number;

  @ApiProperty({ example: 0 })
  @IsDefined()
  @Max(3600)
  @Min(0)
  @IsInt()
  wrapUpSeconds: number;

  @ApiPropertyOptional({
    example: { billing: { skills: { billing: 5 }, priority: 1 } },
    description: `at most ${MAX_INTENTS} intents`,
  })
  @IsOptional()
  @IsIntentMap()
  @HasAtMostEntries(MAX_INTENTS)
  intents?: Record<string, { skills: Record<string, number>; priority?: number }>;

  @ApiPropertyOptional({
    type: CallbackRulesDto,
    description: 'callbacks instead of waiting (defaults apply)',
  })
  @IsOptional()
  @Type(() => CallbackRulesDto)
  @ValidateNested()
  @IsObject()
  callback?: CallbackRulesDto;

  @ApiPropertyOptional({
    description:
      'ordered line rules; the first whose `when` holds decides the contact (README, "Routing rules"). Actions: `priority`, `skills`, `stages`, `announcement`, `priorityGrowth` `{ by, everySeconds, max? }`, `redirect` `{ line, reason }` (waits on another line’s queue, decided by its rules; the webhook answers `redirect`), `queueLimit` (as the line’s), `offerCallback: true`, `afterStages` (when the last stage, which then has `seconds`, ends and the contact still waits: `{ line, reason }` overflows to that line’s queue, `{ callback: true, reason? }` offers a callback, `{ announcement }` plays it and keeps waiting; the telephony callback URL gets `contact.redirected` / `contact.callback_offered` / `contact.announcement`), `holdUntilOpen: true` (needs a `calendar`: while closed, a message contact is held until the calendar opens; a call is offered a callback). Conditions include `openCaseOn: [lines]`. Validated as a whole: a problem is a 400 naming its JSON path',
    example: [
      { name: 'vip', when: { attributes: { segment: ['vip'] } }, priority: 10 },
      {
        name: 'billing',
        when: { intent: ['billing'] },
        stages: [{ seconds: 30, preferred: true }, { seconds: 60, skills: { billing: 7 } }, {}],
      },
      {
        name: 'tech',
        when: { intent: ['tech'] },
        stages: [{ seconds: 30, skills: { tech: 7 } }, { seconds: 60 }],
        afterStages: { line: 'service', reason: 'all sales agents are busy' },
      },
      {
        name: 'after-hours',
        when: { businessHours: 'closed' },
        announcement: 'We are closed; we call back at 9.',
        offerCallback: true,
      },
      {
        name: 'night-chat',
        when: { businessHours: 'closed', channel: ['chat', 'email'] },
        holdUntilOpen: true,
        announcement: 'We are closed; an agent answers from 9:00.',
      },
      {
        name: 'service-case',
        when: { openCaseOn: ['service'] },
        redirect: { line: 'service', reason: 'you have an open service case' },
      },
      { name: 'ageing', priorityGrowth: { by: 1, everySeconds: 60, max: 50 } },
    ],
  })
  @IsOptional()
  @IsArray()
  rules?: RoutingRule[];

  @ApiPropertyOptional({
    description: "the line's business hours, for `businessHours` conditions",
    example: { timeZone: 'Europe/Berlin', weekly: { mon: [['09:00', '17:00']] }, holidays: ['2026-12-25'] },
  })
  @IsOptional()
  @IsObject()
  calendar?: BusinessCalendar;

  @ApiPropertyOptional({
    description:
      'agent–customer pairs never matched on this line (at most 1000): the agent is never offered that customer’s contacts',
    example: [{ agentId: '<agent id>', customerId: '<customer id>' }],
  })
  @IsOptional()
  @IsArray()
  neverMatch?: NeverMatchPair[];

  @ApiPropertyOptional({
    description:
      'the line’s queue limit: a new contact over `maxWaiting` (counting it) or `maxWaitSeconds` (its estimated wait) overflows to `overflow`: `{ line, reason }` (waits on that line’s queue; the webhook answers `redirect`), `{ callback: true }` (`callbackOffered: true` at once) or `{ refuse: true, reason }` (ended at once, `refused`; `reason` is the announcement). A rule’s own `queueLimit` replaces it. Absent: no limit',
    example: { maxWaiting: 20, overflow: { line: 'service', reason: 'sales is busy' } },
  })
  @IsOptional()
  @IsObject()
  queueLimit?: QueueLimit;

  @ApiPropertyOptional({
    description:
      "per-channel settings that override the line's: offerTimeoutSeconds (1-86400), wrapUpSeconds (0-3600), idleSeconds (10-2592000, not voice: a conversation with no message for this long ends its contact). Absent: the line's offerTimeoutSeconds and wrapUpSeconds, and TETHER_CONVERSATION_IDLE_SECONDS. A problem is a 400 naming its JSON path",
    example: { email: { offerTimeoutSeconds: 3600, wrapUpSeconds: 60, idleSeconds: 172800 } },
  })
  @IsOptional()
  @IsObject()
  channels?: Partial<Record<Channel, ChannelSettings>>;

  @ApiPropertyOptional({
    description:
      "the line's cross-channel capacity rule, checked (in the database, atomically) with each channel's capacity when the line offers an agent a contact, against everything the agent holds: `blocks` (held channel -> channels offered none of meanwhile) and/or a weighted total (`weights`, a channel not named weighs 1, 0-100; `maxWeight` 1-1000). Absent: each channel's capacity alone",
    example: {
      blocks: { voice: ['chat', 'messenger'] },
      weights: { voice: 3, chat: 1, email: 1 },
      maxWeight: 4,
    },
  })
  @IsOptional()
  @IsObject()
  crossChannel?: CrossChannelRule;

  @ApiPropertyOptional({ readOnly: true, description: 'rules naming an agent since deleted', type: [String] })
  @IsOptional()
  @IsArray()
  warnings?: string[];

  @ApiPropertyOptional({ readOnly: true })
  @IsOptional()
  @IsString()
  line?: string;

  @ApiPropertyOptional({ readOnly: true })
  @IsOptional()
  @IsInt()
  version?: number;

  @ApiPropertyOptional({ readOnly: true })
  @IsOptional()
  @IsString()
  updatedAt?: string;
}
