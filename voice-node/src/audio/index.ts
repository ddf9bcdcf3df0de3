/**
 * The voice node's audio DSP layer for Twilio Media Streams (8 kHz mono μ-law, 20 ms frames): the
 * codec, resampling, WAV parsing for TTS engines, re-framing, voice activity / end of turn, the
 * outbound pacer and the sentence splitter that feeds streaming TTS. Everything on the per-frame
 * path is table-driven and allocation-light, since one core serves hundreds of calls.
 */
export type { FrameAssembler } from './frames.ts';
export { createFrameAssembler, mulawDurationMs } from './frames.ts';
export { MULAW_SILENCE, mulawDecode, mulawDecodeInto, mulawEncode, mulawEncodeInto } from './mulaw.ts';
export type { Pacer, PacerEntry, PacerOptions } from './pacer.ts';
export { createPacer } from './pacer.ts';
export type { Resampler } from './resample.ts';
export { createResampler, resampleOnce } from './resample.ts';
export type { SentenceSplitter, SentenceSplitterOptions } from './sentences.ts';
export { createSentenceSplitter } from './sentences.ts';
export type {
  SpeechEndEvent,
  SpeechStartEvent,
  VadEvent,
  VoiceActivityDetector,
  VoiceActivityOptions,
} from './vad.ts';
export { createVoiceActivityDetector, frameLevelDbfs } from './vad.ts';
export type { WavAudio, WavHeader, WavStreamParser } from './wav.ts';
export { createWavStreamParser, downmixToMono, encodeWav, parseWav, WavFormatError } from './wav.ts';
