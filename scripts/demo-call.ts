/**
 * `npm run call:demo`: phones the embedded default's demo line (+15550100000) the way Twilio would —
 * a signed voice webhook, then a signed Media Streams WebSocket carrying real μ-law audio synthesized
 * with espeak-ng — and has a short conversation: asks for an order's status, keys the order number
 * in with DTMF, says "no" to "anything else", and hangs up when the agent says goodbye. Then it prints
 * the call record (turns, latency chain) from the management API.
 *
 * Settings (all optional): VOICE_URL (http://127.0.0.1:8001), API_URL (http://127.0.0.1:8080),
 * PUBLIC_BASE_URL (https://localhost:8001), LUMAY_DATA_DIR (./.lumay, for the generated stand-in
 * Twilio account and the demo password), TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN, LUMAY_DEMO_PASSWORD.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectMediaStreamCaller, type MediaStreamCaller } from '../test/support/twilio/simulated-caller.ts';
import { childElements, parameterRecord, parseTwiml } from '../test/support/twilio/twiml-reader.ts';
import { signedWebhook } from '../test/support/twilio/webhooks.ts';
import { randomCallSid, speech } from '../test/support/voice-target.ts';

const voiceUrl = process.env.VOICE_URL ?? 'http://127.0.0.1:8001';
const apiUrl = process.env.API_URL ?? 'http://127.0.0.1:8080';
const publicBaseUrl = process.env.PUBLIC_BASE_URL ?? 'https://localhost:8001';
const dataDir = process.env.LUMAY_DATA_DIR ?? './.lumay';

async function account(): Promise<{ accountSid: string; authToken: string }> {
  if (process.env.TWILIO_ACCOUNT_SID && process.env.TWILIO_AUTH_TOKEN) {
    return { accountSid: process.env.TWILIO_ACCOUNT_SID, authToken: process.env.TWILIO_AUTH_TOKEN };
  }
  try {
    return JSON.parse(await readFile(join(dataDir, 'voice-dev.json'), 'utf8')) as {
      accountSid: string;
      authToken: string;
    };
  } catch {
    throw new Error(`No Twilio account: start the platform first (npm start) or set TWILIO_AUTH_TOKEN`);
  }
}

async function demoPassword(): Promise<string | null> {
  if (process.env.LUMAY_DEMO_PASSWORD) return process.env.LUMAY_DEMO_PASSWORD;
  try {
    const text = await readFile(join(dataDir, 'first-run-credentials.txt'), 'utf8');
    return /demo owner:\s+\S+\s+\/\s+(\S+)/.exec(text)?.[1] ?? null;
  } catch {
    return null;
  }
}

function step(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 23)}] ${message}`);
}

/** Waits until the agent has said something after `before` frames, and then has been quiet a moment. */
async function waitForAgent(caller: MediaStreamCaller, before: number, what: string): Promise<void> {
  await caller.waitFor(() => caller.mediaFrames.length > before, 30_000, `the agent to answer (${what})`);
  await caller.waitForSilence(1500, 90_000);
  step(`agent finished speaking (${what})`);
}

async function main(): Promise<void> {
  const { accountSid, authToken } = await account();
  const callSid = randomCallSid();
  step(`calling +15550100000 as Twilio would (CallSid ${callSid})`);
  const response = await signedWebhook(
    `${publicBaseUrl}/twilio/voice`,
    {
      CallSid: callSid,
      AccountSid: accountSid,
      From: '+15555550123',
      To: '+15550100000',
      CallStatus: 'ringing',
      Direction: 'inbound',
    },
    authToken,
    { postTo: `${voiceUrl}/twilio/voice` },
  );
  const twiml = await response.text();
  if (response.status !== 200) throw new Error(`the voice webhook answered ${response.status}: ${twiml}`);
  const stream = childElements(
    childElements(parseTwiml(twiml), 'Connect')[0] ?? parseTwiml('<Response/>'),
    'Stream',
  )[0];
  if (!stream) throw new Error(`unexpected TwiML: ${twiml}`);
  const streamUrl = stream.attributes.url ?? '';
  step(`TwiML connects the call to ${streamUrl}`);
  const caller = await connectMediaStreamCaller({
    wsUrl: `${voiceUrl.replace(/^http/, 'ws')}${new URL(streamUrl).pathname}`,
    signedUrl: streamUrl,
    authToken,
    callSid,
    accountSid,
    customParameters: parameterRecord(stream),
  });
  await waitForAgent(caller, 0, 'greeting');
  step('caller: "check my order status"');
  let before = caller.mediaFrames.length;
  caller.sendAudio(await speech('check my order status'));
  await waitForAgent(caller, before, 'asks for the order number');
  step('caller keys 1 0 4 2 0 #');
  before = caller.mediaFrames.length;
  for (const digit of '10420#') caller.sendDtmf(digit);
  await waitForAgent(caller, before, 'order status');
  step('caller: "no"');
  caller.sendAudio(await speech('no'));
  const closed = await caller.closed;
  step(
    `call ended by the ${closed.by} (code ${closed.code}); heard ${(caller.heardAudio().length / 8000).toFixed(1)} s of agent audio`,
  );

  const password = await demoPassword();
  if (!password) return;
  const login = await fetch(`${apiUrl}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'demo@lumay.local', password }),
  });
  if (!login.ok) return;
  const { accessToken } = (await login.json()) as { accessToken: string };
  const list = await fetch(`${apiUrl}/v1/calls?limit=1`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  const page = (await list.json()) as { data: { id: string }[] };
  const latest = page.data[0];
  if (!latest) return;
  const detail = await fetch(`${apiUrl}/v1/calls/${latest.id}`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  console.log(JSON.stringify(await detail.json(), null, 2));
}

main().catch((error: unknown) => {
  console.error(`demo call failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
