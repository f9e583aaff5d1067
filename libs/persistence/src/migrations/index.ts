import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { AuditLog1764000100000 } from './1764000100000-audit-log';
import { ContactIndexes1764000200000 } from './1764000200000-contact-indexes';
import { AvailableAgentsIndex1764000300000 } from './1764000300000-available-agents-index';
import { HotPathFunctions1764000400000 } from './1764000400000-hot-path-functions';
import { ScheduledJobClaimToken1764000500000 } from './1764000500000-scheduled-job-claim-token';
import { SqlSourceRegistry1764000600000 } from './1764000600000-sql-source-registry';
import { LinesTable1764000700000 } from './1764000700000-lines-table';
import { DropLegacyOfferExpireJobs1764000800000 } from './1764000800000-drop-legacy-offer-expire-jobs';
import { ContactLastAgentAt1764000900000 } from './1764000900000-contact-last-agent-at';
import { CallsScopedToLine1764001000000 } from './1764001000000-calls-scoped-to-line';
import { AgentTokenLastUsed1764001100000 } from './1764001100000-agent-token-last-used';
import { ErasablePersonalData1764001200000 } from './1764001200000-erasable-personal-data';
import { AuditLogAddressCount1764001300000 } from './1764001300000-audit-log-address-count';
import { Cases1764001400000 } from './1764001400000-cases';
import { Transfers1764001500000 } from './1764001500000-transfers';
import { Incidents1764001600000 } from './1764001600000-incidents';
import { Callbacks1764001700000 } from './1764001700000-callbacks';
import { CustomerNoticeChannel1764001800000 } from './1764001800000-customer-notice-channel';
import { TelephonyProviders1764001900000 } from './1764001900000-telephony-providers';
import { Messages1764001950000 } from './1764001950000-messages';
import { ContactEvents1764002000000 } from './1764002000000-contact-events';
import { Surveys1764002100000 } from './1764002100000-surveys';
import { RoutingVersions1764003000000 } from './1764003000000-routing-versions';
import { ContactRoutingPlan1764003100000 } from './1764003100000-contact-routing-plan';
import { RoutingDrafts1764003200000 } from './1764003200000-routing-drafts';
import { Users1764004000000 } from './1764004000000-users';
import { ContactRedirect1764004200000 } from './1764004200000-contact-redirect';
import { ReportRollups1764004300000 } from './1764004300000-report-rollups';
import { CustomerMerge1764004400000 } from './1764004400000-customer-merge';
import { ContactArrivalsBrin1764004500000 } from './1764004500000-contact-arrivals-brin';
import { ReportDayRollups1764004700000 } from './1764004700000-report-day-rollups';
import { RoutingVersionMergeSource1764004900000 } from './1764004900000-routing-version-merge-source';
import { PresenceIdleUnindexed1764005000000 } from './1764005000000-presence-idle-unindexed';

/**
 * Every migration, in order. Never edit one that has been merged: add a new one. Schema only: functions live in
 * libs/<lib>/sql/*.sql (sql-sources.ts applies them after these).
 */
export const MIGRATIONS = [
  InitialSchema1764000000000,
  AuditLog1764000100000,
  ContactIndexes1764000200000,
  AvailableAgentsIndex1764000300000,
  HotPathFunctions1764000400000,
  ScheduledJobClaimToken1764000500000,
  SqlSourceRegistry1764000600000,
  LinesTable1764000700000,
  DropLegacyOfferExpireJobs1764000800000,
  ContactLastAgentAt1764000900000,
  CallsScopedToLine1764001000000,
  AgentTokenLastUsed1764001100000,
  ErasablePersonalData1764001200000,
  AuditLogAddressCount1764001300000,
  Cases1764001400000,
  Transfers1764001500000,
  Incidents1764001600000,
  Callbacks1764001700000,
  CustomerNoticeChannel1764001800000,
  TelephonyProviders1764001900000,
  Messages1764001950000,
  ContactEvents1764002000000,
  Surveys1764002100000,
  RoutingVersions1764003000000,
  ContactRoutingPlan1764003100000,
  RoutingDrafts1764003200000,
  Users1764004000000,
  ContactRedirect1764004200000,
  ReportRollups1764004300000,
  CustomerMerge1764004400000,
  ContactArrivalsBrin1764004500000,
  ReportDayRollups1764004700000,
  RoutingVersionMergeSource1764004900000,
  PresenceIdleUnindexed1764005000000,
];
