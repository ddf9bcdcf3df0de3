/**
 * An agent's voice settings (`config.voice`). The schema lives in the shared library so the management
 * API validates it when an agent is saved and the voice node reads it per call: one definition.
 */
export { AgentVoiceSettings, isBackchannel, transferNumberFor, voiceSettingsOf } from '@lumay/shared';
