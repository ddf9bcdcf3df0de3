export { buildVoiceApp } from './app.ts';
export type { VoiceNodeState } from './app.ts';
export { startVoiceServer } from './server.ts';
export type { VoiceServer } from './server.ts';
