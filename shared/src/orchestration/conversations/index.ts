export type {
  ConversationDetails,
  ConversationFilters,
  ConversationService,
} from './conversation-service.ts';
export { createConversationService, TEST_CHANNEL, TRANSCRIPT_LIMIT } from './conversation-service.ts';
export type { HandoffService, HandoffStatus, HandoffView } from './handoff-service.ts';
export { createHandoffService, toHandoffView } from './handoff-service.ts';
