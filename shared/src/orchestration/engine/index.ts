export type { ConversationEngine, InboundMessage, StartConversationInput, TurnOptions } from './engine.ts';
export { createConversationEngine } from './engine.ts';
export type { EngineDeps, IntentAnswer, ResolvedFlow } from './engine-deps.ts';
export type {
  ConversationEvent,
  ConversationEventPayloads,
  ConversationEventType,
  RecordedConversationEvent,
  TurnErrorCode,
  TurnStopReason,
} from './events.ts';
export type { FlowOverride } from './flow-loader.ts';
export { DRAFT_FLOW_VERSION } from './flow-loader.ts';
export { matchIntentLexically } from './intent-fallback.ts';
export type { TurnSink } from './run-context.ts';
export { FAILURE_MESSAGE } from './runner.ts';
export { parseSlotValue } from './slot-values.ts';
export type { EngineState } from './state.ts';
export type { ConversationRow, ConversationStatus, MessageView } from './store.ts';
export { StaleConversationError, toMessageView } from './store.ts';
export { checkAcceptsMessage } from './turn-prepare.ts';
export type { ConversationView, TurnResult } from './views.ts';
export { toConversationView } from './views.ts';
