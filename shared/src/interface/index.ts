/**
 * Interface: the channels customers reach agents through. The voice channel's data side lives here
 * (phone numbers, calls, campaigns and the voice node's call store); the voice node itself is a
 * separate service built on it.
 */
export * from './voice/index.ts';
