export type { TwilioCallStatus } from './call-lifecycle.ts';
export { contactOutcome, fromTwilioStatus, TWILIO_CALL_STATUSES } from './call-lifecycle.ts';
export type { CallFinish, StatusCallback } from './call-progress.ts';
export type {
  CallSidRoute,
  InboundCallInput,
  InboundRoute,
  StreamToken,
  VoiceCallStore,
} from './call-store.ts';
export { createVoiceCallStore, STREAM_TOKEN_TTL_MS } from './call-store.ts';
export type { CallFilters, CallService, OutboundCallInput } from './calls.ts';
export { createCallService } from './calls.ts';
export type {
  AddContactsResult,
  CampaignContactService,
  ContactFilters,
  ContactInput,
  ContactRejection,
} from './campaign-contacts.ts';
export { createCampaignContactService, MAX_CONTACTS_PER_REQUEST } from './campaign-contacts.ts';
export type {
  CampaignScheduler,
  CampaignSchedulerOptions,
  CampaignTickReport,
} from './campaign-scheduler.ts';
export { createCampaignScheduler, DEFAULT_STALE_CALL_MS } from './campaign-scheduler.ts';
export { isTimeZone, isWithinWindow } from './campaign-window.ts';
export type { CampaignFilters, CampaignInput, CampaignPatch, CampaignService } from './campaigns.ts';
export { createCampaignService, DEFAULT_CAMPAIGN_SETTINGS } from './campaigns.ts';
export { voiceContext } from './context.ts';
export { E164_PATTERN, isE164, normalizePhone } from './e164.ts';
export type {
  PhoneNumberFilters,
  PhoneNumberInput,
  PhoneNumberPatch,
  PhoneNumberService,
} from './phone-numbers.ts';
export { createPhoneNumberService } from './phone-numbers.ts';
export { MAX_TURNS_PER_CALL, TURN_TEXT_LIMIT } from './turns.ts';
export * from './views.ts';
export type { VoiceServices } from './voice-services.ts';
export { createVoiceServices } from './voice-services.ts';
export { AgentVoiceSettings, isBackchannel, transferNumberFor, voiceSettingsOf } from './voice-settings.ts';
