/**
 * The caller side of bench/voice, run in its own process so that it does not share the voice node's
 * event loop: a local OpenAI-protocol audio server (transcription and streaming speech with realistic
 * delays) and N simulated Twilio callers speaking the exact Media Streams protocol in real time.
 *
 * Protocol with the parent (JSON lines): the parent sends `{ "type": "calls", … }`; this process answers
 * `{ "type": "audio-server", "url" }` once at start and `{ "type": "result", … }` per batch.
 */
import { createInterface } from 'node:readline';
import {
  connectMediaStreamCaller,
  type MediaStreamCaller,
} from '../../test/support/twilio/simulated-caller.ts';
import { childElements, parameterRecord, parseTwiml } from '../../test/support/twilio/twiml-reader.ts';
import { signedWebhook } from '../../test/support/twilio/webhooks.ts';
import { voicedMulaw } from '../../test/support/voice-servers/common.ts';
import { startOpenAIAudioServer } from '../../test/support/voice-servers/openai-audio-server.ts';

interface Batch {
  type: 'calls';
  count: number;
  turns: number;
  voiceUrl: string;
  publicBaseUrl: string;
  authToken: string;
  accountSid: string;
  to: string;
}

const send = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);

async function oneCall(batch: Batch, index: number) {
  const callSid =
    `CA${index.toString(16).padStart(8, '0')}${Date.now().toString(16).padStart(24, '0')}`.slice(0, 34);
  const response = await signedWebhook(
    `${batch.publicBaseUrl}/twilio/voice`,
    {
      CallSid: callSid,
      AccountSid: batch.accountSid,
      From: '+15555550123',
      To: batch.to,
      CallStatus: 'ringing',
    },
    batch.authToken,
    { postTo: `${batch.voiceUrl}/twilio/voice` },
  );
  const twiml = await response.text();
  const stream = childElements(
    childElements(parseTwiml(twiml), 'Connect')[0] ?? parseTwiml('<R/>'),
    'Stream',
  )[0];
  if (!stream) throw new Error(`no stream in ${twiml}`);
  const caller: MediaStreamCaller = await connectMediaStreamCaller({
    wsUrl: `${batch.voiceUrl.replace(/^http/, 'ws')}/twilio/media`,
    signedUrl: stream.attributes.url ?? '',
    authToken: batch.authToken,
    callSid,
    accountSid: batch.accountSid,
    customParameters: parameterRecord(stream),
  });
  const utterance = voicedMulaw(900);
  const bargeIns: number[] = [];
  await caller.audioSent(30_000);
  await caller.playbackIdle(60_000);
  for (let turn = 0; turn < batch.turns; turn += 1) {
    const framesBefore = caller.mediaFrames.length;
    caller.sendAudio(utterance);
    await caller.waitFor(() => caller.mediaFrames.length > framesBefore + 10, 30_000, 'reply audio');
    if (turn % 3 === 2) {
      // Barge in shortly after the reply started playing.
      const clearsBefore = caller.clears.length;
      caller.sendAudio(voicedMulaw(700));
      await caller.waitFor(() => caller.clears.length > clearsBefore, 10_000, 'clear');
      bargeIns.push(1);
      await caller.waitFor(
        () => caller.mediaFrames.length > framesBefore + 40,
        30_000,
        'reply after barge-in',
      );
    }
    await caller.playbackIdle(60_000);
  }
  // Inter-arrival gaps of steady-state frames (after each reply's lead is built up).
  const gaps: number[] = [];
  const frames = caller.mediaFrames;
  for (let i = 1; i < frames.length; i += 1) {
    const gap = (frames[i]?.at ?? 0) - (frames[i - 1]?.at ?? 0);
    if (gap > 5 && gap < 200) gaps.push(Math.abs(gap - 20));
  }
  await caller.hangup();
  return { gaps, bargeIns: bargeIns.length, protocolErrors: caller.protocolErrors.length };
}

async function main(): Promise<void> {
  const audio = await startOpenAIAudioServer({
    apiKey: 'bench-key',
    transcripts: ['I need some help with my account please'],
    transcriptionDelayMs: 150,
    firstByteDelayMs: 120,
    chunkMs: 100,
    chunkIntervalMs: 40,
    msPerCharacter: 55,
  });
  send({ type: 'audio-server', url: audio.url });
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const batch = JSON.parse(line) as Batch | { type: 'exit' };
    if (batch.type === 'exit') break;
    const startedAt = performance.now();
    const results = await Promise.allSettled(
      Array.from({ length: batch.count }, (_, index) =>
        new Promise((resolve) => setTimeout(resolve, index * 25)).then(() => oneCall(batch, index)),
      ),
    );
    const ok = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failures = results.flatMap((result) =>
      result.status === 'rejected'
        ? [String(result.reason instanceof Error ? result.reason.message : result.reason)]
        : [],
    );
    send({
      type: 'result',
      durationMs: performance.now() - startedAt,
      calls: ok.length,
      failures: failures.slice(0, 5),
      failureCount: failures.length,
      gaps: ok.flatMap((result) => result.gaps),
      bargeIns: ok.reduce((sum, result) => sum + result.bargeIns, 0),
      protocolErrors: ok.reduce((sum, result) => sum + result.protocolErrors, 0),
    });
  }
  await audio.close();
  process.exit(0);
}

void main();
