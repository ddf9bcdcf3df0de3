import type { Clock } from '../../core/index.ts';
import type { Database } from '../../platform/index.ts';
import { createVoiceCallStore } from './call-store.ts';
import { createCallService } from './calls.ts';
import { createCampaignContactService } from './campaign-contacts.ts';
import { createCampaignService } from './campaigns.ts';
import { createPhoneNumberService } from './phone-numbers.ts';

/**
 * The voice channel's data side, wired once for both services: phone numbers, calls (API view and
 * outbound requests), the voice node's call store, campaigns and their contacts.
 */
export function createVoiceServices(deps: { db: Database; clock?: Clock | undefined }) {
  const options = { db: deps.db, ...(deps.clock ? { clock: deps.clock } : {}) };
  return {
    phoneNumbers: createPhoneNumberService(deps.db),
    calls: createCallService(options),
    callStore: createVoiceCallStore(options),
    campaigns: { ...createCampaignService(options), ...createCampaignContactService(options) },
  };
}

export type VoiceServices = ReturnType<typeof createVoiceServices>;
