export type { VoiceNodeState } from './app.ts';
export { buildVoiceApp } from './app.ts';
export type { VoiceServer } from './server.ts';
export { startVoiceServer } from './server.ts';
