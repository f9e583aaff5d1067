import { Module } from '@nestjs/common';
import { AgentsModule } from '@tether/agents';
import { CasesModule } from '@tether/cases';
import { CustomersModule } from '@tether/customers';
import { LinesModule } from '@tether/lines';
import { TelephonyModule } from '@tether/telephony';
import { AgentPresenceService } from './agent-presence.service';
import { AgentRosterService } from './agent-roster.service';
import { AgentResyncService } from './agent-resync.service';
import { ContactCallbackService } from './contact-callback.service';
import { ContactDispatcher } from './contact-dispatcher.service';
import { ContactMessagingService } from './contact-messaging.service';
import { ContactLifecycleService } from './contact-lifecycle.service';
import { ContactTransferService } from './contact-transfer.service';
import { ContactsWarmUp } from './contacts-warm-up.service';
import { ForcedOfferService } from './forced-offer.service';
import { CustomerMergeService } from './customer-merge.service';
import { LineRoutingRepository } from './line-routing.repository';
import { OfferExpiryClock } from './offer-expiry.clock';
import { OfferPayloadBuilder } from './offer-payload.builder';
import { OfferService } from './offer.service';
import { QueueSnapshotService } from './queue-snapshot.service';
import { RoutingRulesService } from './routing-rules.service';
import { RoutingSimulator } from './routing-simulator.service';
import { RoutingReplayService } from './routing-replay.service';

/** What other libs and apps may use of the contacts lib (the runtime bridges exactly these to every app). */
export const CONTACTS_SERVICES = [
  RoutingRulesService,
  RoutingSimulator,
  RoutingReplayService,
  AgentRosterService,
  LineRoutingRepository,
  OfferPayloadBuilder,
  ContactDispatcher,
  OfferService,
  ContactLifecycleService,
  ContactTransferService,
  ContactCallbackService,
  ContactMessagingService,
  AgentPresenceService,
  AgentResyncService,
  QueueSnapshotService,
  ForcedOfferService,
  CustomerMergeService,
] as const;

/** Contacts from arrival to completion, and the dispatcher that hands them to agents. */
@Module({
  imports: [AgentsModule, CustomersModule, CasesModule, TelephonyModule, LinesModule],
  providers: [OfferExpiryClock, ContactsWarmUp, ...CONTACTS_SERVICES],
  exports: [ContactsWarmUp, ...CONTACTS_SERVICES],
})
export class ContactsModule {}
