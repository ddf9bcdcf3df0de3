import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectAudio } from '../../../test/support/voice-servers/common.ts';
import { createWavReader, decodeMulaw } from './codec.ts';
import { createEspeakTextToSpeech } from './espeak-tts.ts';

const live = () => new AbortController().signal;
const rms = (samples: Int16Array) =>
  Math.sqrt(samples.reduce((sum, value) => sum + value * value, 0) / Math.max(1, samples.length));

const directory = mkdtempSync(join(tmpdir(), 'espeak-test-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A stand-in for espeak-ng that streams a tone forever, even into a closed pipe, and writes its pid. */
function endlessSpeaker(): { binary: string; pid: () => number } {
  const binary = join(directory, `endless-${Math.random().toString(36).slice(2)}`);
  const pidFile = `${binary}.pid`;
  writeFileSync(
    binary,
    `#!${process.execPath}
require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
process.stdout.on('error', () => {}); // outlives a closed pipe: only a kill ends it
const header = Buffer.alloc(44);
header.write('RIFF', 0); header.writeUInt32LE(0xffffffff, 4); header.write('WAVEfmt ', 8);
header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(1, 22);
header.writeUInt32LE(22050, 24); header.writeUInt32LE(44100, 28); header.writeUInt16LE(2, 32);
header.writeUInt16LE(16, 34); header.write('data', 36); header.writeUInt32LE(0xffffffff, 40);
process.stdout.write(header);
let n = 0;
setInterval(() => {
  const chunk = Buffer.alloc(4410);
  for (let i = 0; i < 2205; i++, n++) chunk.writeInt16LE(Math.round(8000 * Math.sin(n / 10)), i * 2);
  process.stdout.write(chunk);
}, 50);
`,
  );
  chmodSync(binary, 0o755);
  return { binary, pid: () => Number(readFileSync(pidFile, 'utf8')) };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('espeak-ng text-to-speech', () => {
  it('really speaks: 8 kHz μ-law as long as espeak-ng’s own rendering, at speech level', async () => {
    const text = 'Thank you for calling. How can I help you today?';
    const direct = spawnSync('espeak-ng', ['--stdout', '-v', 'en-us', '-s', '165', '--', text]);
    const reference = createWavReader().push(new Uint8Array(direct.stdout));
    const tts = createEspeakTextToSpeech();
    const { audio, chunks } = await collectAudio(tts.synthesize(text, { signal: live() }));
    expect(audio.length).toBe(Math.ceil((reference.length * 8000) / 22_050));
    expect(audio.length / 8).toBeGreaterThan(1800); // ~10 words at 165 wpm: 2–4 s
    expect(audio.length / 8).toBeLessThan(5000);
    expect(chunks).toBeGreaterThan(1);
    const level = rms(decodeMulaw(audio)) / rms(reference);
    expect(level).toBeGreaterThan(0.8); // what telephone bandwidth keeps of speech
    expect(level).toBeLessThan(1.05);
  });

  it('yields the first audio while espeak-ng is still speaking', async () => {
    const text = Array.from(
      { length: 12 },
      (_, index) => `This is sentence number ${index + 1} of a long answer.`,
    ).join(' ');
    const tts = createEspeakTextToSpeech({ voice: 'en-gb', rate: 180 });
    const started = performance.now();
    let firstAt = 0;
    let chunks = 0;
    for await (const _chunk of tts.synthesize(text, { signal: live() })) {
      if (chunks === 0) firstAt = performance.now() - started;
      chunks += 1;
    }
    const totalMs = performance.now() - started;
    expect(chunks).toBeGreaterThan(10);
    expect(firstAt).toBeLessThan(totalMs / 2);
  });

  it('speaks text that looks like an option instead of obeying it', async () => {
    const tts = createEspeakTextToSpeech();
    const { audio } = await collectAudio(tts.synthesize('-v xx --help', { signal: live() }));
    expect(audio.length).toBeGreaterThan(2000);
  });

  it('aborting kills the process and rejects at once; so does a listener that stops early', async () => {
    const aborted = endlessSpeaker();
    const controller = new AbortController();
    const tts = createEspeakTextToSpeech({ binary: aborted.binary });
    const outcome = await (async () => {
      for await (const _chunk of tts.synthesize('forever', { signal: controller.signal })) controller.abort();
    })().catch((error: unknown) => error);
    expect(outcome).toMatchObject({ name: 'AbortError' });
    await expect.poll(() => alive(aborted.pid())).toBe(false);

    const abandoned = endlessSpeaker();
    const listener = createEspeakTextToSpeech({ binary: abandoned.binary });
    for await (const _chunk of listener.synthesize('forever', { signal: live() })) break;
    await expect.poll(() => alive(abandoned.pid())).toBe(false);
  });

  it('says how to install it when the binary is missing', async () => {
    const tts = createEspeakTextToSpeech({ binary: join(directory, 'no-such-espeak') });
    const expected = {
      code: 'provider_unavailable',
      provider: 'espeak',
      message: 'espeak-ng is not installed (apt-get install espeak-ng)',
    };
    await expect(collectAudio(tts.synthesize('hello', { signal: live() }))).rejects.toMatchObject(expected);
    await expect(tts.ensureAvailable()).rejects.toMatchObject(expected);
    await expect(createEspeakTextToSpeech().ensureAvailable()).resolves.toBeUndefined();
  });

  it("reports espeak-ng's own error for a voice it does not have", async () => {
    const tts = createEspeakTextToSpeech();
    await expect(
      collectAudio(tts.synthesize('hello', { signal: live(), voice: 'zz-not-a-voice' })),
    ).rejects.toMatchObject({ code: 'provider_failed', message: /voice does not exist/ });
  });
});
