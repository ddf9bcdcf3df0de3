import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { createCoreServices } from '@lumay/shared';
import { startVoiceRuntime, type VoiceConfig, type VoiceServer } from '@lumay/voice-node';
import { createResampler, mulawEncode, parseWav } from '../../voice-node/src/audio/index.ts';
import type { AppTarget } from './app-target.ts';
import { connectMediaStreamCaller, type MediaStreamCaller } from './twilio/simulated-caller.ts';
import { childElements, parameterRecord, parseTwiml } from './twilio/twiml-reader.ts';
import { signedWebhook } from './twilio/webhooks.ts';

const run = promisify(execFile);

export const PUBLIC_BASE_URL = 'https://voice.lumay.test';
export const DEMO_NUMBER = '+15550100000';

/** A voice node under test: the real runtime over the app target's database and bus. */
export interface VoiceTarget {
  server: VoiceServer;
  port: number;
  httpUrl: string;
  authToken: string;
  accountSid: string;
  publicBaseUrl: string;
  logs: { event: string; data: Record<string, unknown> }[];
  close(): Promise<void>;
}

export async function startVoiceTarget(
  app: AppTarget,
  overrides: Partial<VoiceConfig> = {},
): Promise<VoiceTarget> {
  const authToken = randomBytes(16).toString('hex');
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const logs: { event: string; data: Record<string, unknown> }[] = [];
  const config: VoiceConfig = {
    VOICE_PORT: 0,
    VOICE_HOST: '127.0.0.1',
    PUBLIC_BASE_URL,
    TWILIO_ACCOUNT_SID: accountSid,
    TWILIO_AUTH_TOKEN: authToken,
    TWILIO_API_BASE_URL: 'http://127.0.0.1:9',
    VOICE_DRAIN_TIMEOUT_MS: 10_000,
    ...overrides,
  };
  const server = await startVoiceRuntime({
    config,
    core: createCoreServices(app.deps),
    db: app.db,
    bus: app.deps.bus,
    log: (event, data) => logs.push({ event, data }),
  });
  return {
    server,
    port: server.port,
    httpUrl: `http://127.0.0.1:${server.port}`,
    authToken: config.TWILIO_AUTH_TOKEN ?? authToken,
    accountSid: config.TWILIO_ACCOUNT_SID ?? accountSid,
    publicBaseUrl: PUBLIC_BASE_URL,
    logs,
    close: () => server.close(),
  };
}

/** Speech synthesized with espeak-ng as Twilio would carry it: μ-law, 8 kHz, mono. */
export async function speech(text: string, options: { rate?: number } = {}): Promise<Uint8Array> {
  const { stdout } = await run(
    'espeak-ng',
    ['--stdout', '-v', 'en-us', '-s', String(options.rate ?? 150), '--', text],
    {
      encoding: 'buffer',
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const wav = parseWav(new Uint8Array(stdout));
  const resampler = createResampler(wav.sampleRate, 8000);
  const pcm = resampler.process(wav.samples);
  const tail = resampler.flush();
  const joined = new Int16Array(pcm.length + tail.length);
  joined.set(pcm);
  joined.set(tail, pcm.length);
  return mulawEncode(joined);
}

export function randomCallSid(): string {
  return `CA${randomBytes(16).toString('hex')}`;
}

/**
 * Places an inbound call the way Twilio does: the signed voice webhook for the called number, then the
 * TwiML's `<Connect><Stream>` opened as a signed WebSocket with the `<Parameter>`s in `start`.
 */
export async function placeInboundCall(
  voice: VoiceTarget,
  options: { to?: string; from?: string; callSid?: string; realtime?: boolean } = {},
): Promise<{
  caller: MediaStreamCaller;
  callSid: string;
  twiml: string;
  parameters: Record<string, string>;
}> {
  const callSid = options.callSid ?? randomCallSid();
  const response = await signedWebhook(
    `${voice.publicBaseUrl}/twilio/voice`,
    {
      CallSid: callSid,
      AccountSid: voice.accountSid,
      From: options.from ?? '+15555550123',
      To: options.to ?? DEMO_NUMBER,
      CallStatus: 'ringing',
      Direction: 'inbound',
      ApiVersion: '2010-04-01',
    },
    voice.authToken,
    { postTo: `${voice.httpUrl}/twilio/voice` },
  );
  const twiml = await response.text();
  if (response.status !== 200) throw new Error(`voice webhook answered ${response.status}: ${twiml}`);
  const root = parseTwiml(twiml);
  const connect = childElements(root, 'Connect')[0];
  const stream = connect ? childElements(connect, 'Stream')[0] : undefined;
  if (!stream) throw new Error(`no <Connect><Stream> in TwiML: ${twiml}`);
  const streamUrl = stream.attributes.url ?? '';
  const parameters = parameterRecord(stream);
  const path = new URL(streamUrl).pathname;
  const caller = await connectMediaStreamCaller({
    wsUrl: `ws://127.0.0.1:${voice.port}${path}`,
    signedUrl: streamUrl,
    authToken: voice.authToken,
    callSid,
    accountSid: voice.accountSid,
    customParameters: parameters,
    realtime: options.realtime ?? true,
  });
  return { caller, callSid, twiml, parameters };
}
