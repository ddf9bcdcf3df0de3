import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectAudio, frames, voicedMulaw } from '../../../test/support/voice-servers/common.ts';
import { createEspeakTextToSpeech } from './espeak-tts.ts';
import { createPocketsphinxSpeechToText, jsgfGrammar, normalizePhrase } from './pocketsphinx-stt.ts';

const HINTS = ['yes', 'no', 'check my order', 'order status', 'billing', 'agent'];
const directory = mkdtempSync(join(tmpdir(), 'sphinx-test-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** The caller side of a call: espeak-ng speech as 8 kHz μ-law, in 20 ms frames. */
async function spoken(text: string, voice = 'en-us', rate = 165): Promise<Uint8Array[]> {
  const tts = createEspeakTextToSpeech({ voice, rate });
  const { audio } = await collectAudio(tts.synthesize(text, { signal: new AbortController().signal }));
  return frames(audio);
}

interface FakeRun {
  pid: number;
  start?: number;
  end?: number;
  args?: string[];
  grammar?: string | null;
  dictionary?: string;
  wavBytes?: number;
}

/** A stand-in recognizer that logs its runs (args, grammar, timing) and answers after a delay. */
function fakeRecognizer(config: { delayMs: number; output?: string; exitCode?: number }) {
  const name = `fake-${Math.random().toString(36).slice(2)}`;
  const binary = join(directory, name);
  const log = join(directory, `${name}.log`);
  writeFileSync(
    binary,
    `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
const get = (flag) => args[args.indexOf(flag) + 1];
const config = ${JSON.stringify({ ...config, log })};
fs.appendFileSync(config.log, JSON.stringify({
  pid: process.pid, start: Date.now(), args,
  grammar: args.includes('-jsgf') ? fs.readFileSync(get('-jsgf'), 'utf8') : null,
  dictionary: args.includes('-jsgf') ? fs.readFileSync(get('-dict'), 'utf8') : get('-dict'),
  wavBytes: fs.statSync(get('-infile')).size,
}) + '\\n');
setTimeout(() => {
  fs.appendFileSync(config.log, JSON.stringify({ pid: process.pid, end: Date.now() }) + '\\n');
  if (config.exitCode) {
    fs.writeFileSync(get('-logfn'), 'INFO: loading\\nERROR: "jsgf.c", line 42: Undefined rule in RHS\\n');
    process.exit(config.exitCode);
  }
  process.stdout.write(config.output + '\\n');
}, config.delayMs);
`,
  );
  chmodSync(binary, 0o755);
  const runs = (): FakeRun[] => {
    if (!existsSync(log)) return [];
    const byPid = new Map<number, FakeRun>();
    for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
      const entry = JSON.parse(line) as FakeRun;
      byPid.set(entry.pid, { ...byPid.get(entry.pid), ...entry });
    }
    return [...byPid.values()];
  };
  return { binary, runs };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// Real recognizer runs are CPU-bound: generous limits, as other suites share the cores.
describe('pocketsphinx speech-to-text (real recognizer, espeak-ng speech)', { timeout: 60_000 }, () => {
  it('recognizes "yes" and a constrained phrase when the hints are given', async () => {
    const stt = createPocketsphinxSpeechToText();
    const session = await stt.open({ language: 'en-US', hints: HINTS });
    for (const frame of await spoken('yes')) session.write(frame);
    const yes = await session.finalize();
    expect(yes.text).toBe('yes');
    expect(yes.durationMs).toBeGreaterThan(300);
    for (const frame of await spoken('check my order')) session.write(frame);
    await expect(session.finalize()).resolves.toMatchObject({ text: 'check my order' });
    session.close();
  });

  it('is accurate over the hint phrases across voices and rates (measured)', async () => {
    const stt = createPocketsphinxSpeechToText({ maxConcurrent: 2 });
    const cases = ['en-us', 'en-us+f3'].flatMap((voice) =>
      [150, 180].flatMap((rate) => HINTS.map((phrase) => ({ voice, rate, phrase }))),
    );
    const audio = await Promise.all(cases.map(({ voice, rate, phrase }) => spoken(phrase, voice, rate)));
    const results: Array<{ phrase: string; text: string; voice: string; rate: number; ms: number }> = [];
    for (const [index, { voice, rate, phrase }] of cases.entries()) {
      const session = await stt.open({ hints: HINTS });
      for (const frame of audio[index] ?? []) session.write(frame);
      const started = performance.now();
      const { text } = await session.finalize(); // one at a time: the latency is the recognizer's own
      results.push({ phrase, text, voice, rate, ms: performance.now() - started });
    }
    const correct = results.filter((result) => result.text === result.phrase).length;
    const latencies = results.map((result) => result.ms).sort((a, b) => a - b);
    console.info(
      `pocketsphinx JSGF accuracy ${correct}/${results.length}; finalize p50 ${Math.round(latencies[Math.floor(latencies.length / 2)] ?? 0)} ms, max ${Math.round(latencies.at(-1) ?? 0)} ms; misses:`,
      results
        .filter((result) => result.text !== result.phrase)
        .map((r) => `${r.voice}/${r.rate} "${r.phrase}" → "${r.text}"`),
    );
    expect(correct / results.length).toBeGreaterThanOrEqual(0.85);
  });

  it('without hints falls back to the language model (poor on synthetic phone speech, but it answers)', async () => {
    const stt = createPocketsphinxSpeechToText();
    const session = await stt.open({});
    for (const frame of await spoken('check my order please')) session.write(frame);
    const { text } = await session.finalize();
    expect(text).toMatch(/^[a-z' ]+$/);
  });
});

describe('pocketsphinx speech-to-text (process handling)', { timeout: 20_000 }, () => {
  it('builds the grammar from the hints it can pronounce, or uses the language model without hints', async () => {
    const fake = fakeRecognizer({ delayMs: 0, output: 'order status' });
    const stt = createPocketsphinxSpeechToText({ binary: fake.binary });
    const constrained = await stt.open({
      hints: ['Order status!', 'order  STATUS', 'xyzzyplugh now', 'Yes', ' '],
    });
    constrained.write(voicedMulaw(400));
    await expect(constrained.finalize()).resolves.toEqual({ text: 'order status', durationMs: 400 });
    const free = await stt.open({});
    free.write(voicedMulaw(400));
    await free.finalize();
    const [first, second] = fake.runs();
    expect(first?.grammar).toBe(jsgfGrammar(['order status', 'yes']));
    // Only the grammar's words: loading the whole 134k-word dictionary costs each run ~0.2 s.
    expect(
      first?.dictionary
        ?.trim()
        .split('\n')
        .map((line) => line.split(' ')[0]),
    ).toEqual(['order', 'status', 'status(2)', 'yes']);
    expect(first?.args).toContain('-jsgf');
    expect(first?.wavBytes).toBe(44 + 400 * 16 * 2); // 16 kHz PCM16
    expect(second?.grammar).toBeNull();
    expect(second?.args).toEqual(
      expect.arrayContaining(['-lm', '/usr/share/pocketsphinx/model/en-us/en-us.lm.bin']),
    );
    expect(second?.dictionary).toBe('/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict');
    expect(normalizePhrase("  Don't-Stop, NOW ")).toBe("don't stop now");
  });

  it('runs at most maxConcurrent recognizers and queues the rest', async () => {
    const fake = fakeRecognizer({ delayMs: 150, output: 'yes' });
    const stt = createPocketsphinxSpeechToText({ binary: fake.binary, maxConcurrent: 2 });
    const sessions = await Promise.all(Array.from({ length: 5 }, () => stt.open({ hints: ['yes'] })));
    for (const session of sessions) session.write(voicedMulaw(200));
    const pending = Promise.all(sessions.map((session) => session.finalize()));
    await expect.poll(() => stt.queued).toBe(3);
    expect(stt.running).toBe(2);
    expect((await pending).map((transcript) => transcript.text)).toEqual(['yes', 'yes', 'yes', 'yes', 'yes']);
    const runs = fake.runs();
    expect(runs).toHaveLength(5);
    const overlap = Math.max(
      ...runs.map(
        (run) =>
          runs.filter(
            (other) => (other.start ?? 0) <= (run.start ?? 0) && (other.end ?? 0) > (run.start ?? 0),
          ).length,
      ),
    );
    expect(overlap).toBe(2);
    expect(stt.running).toBe(0);
  });

  it('removes its temp files and skips the recognizer for a too short turn', async () => {
    const temp = mkdtempSync(join(directory, 'tmp-'));
    const fake = fakeRecognizer({ delayMs: 0, output: 'no' });
    const stt = createPocketsphinxSpeechToText({ binary: fake.binary, tmpDirectory: temp });
    const session = await stt.open({ hints: ['no'] });
    session.write(voicedMulaw(300));
    await session.finalize();
    session.write(voicedMulaw(60));
    await expect(session.finalize()).resolves.toEqual({ text: '', durationMs: 60 });
    expect(fake.runs()).toHaveLength(1);
    expect(readdirSync(temp)).toEqual([]);
  });

  it('aborting kills the recognizer (or leaves the queue) at once; a slow one times out', async () => {
    const fake = fakeRecognizer({ delayMs: 5000, output: 'late' });
    const stt = createPocketsphinxSpeechToText({ binary: fake.binary, maxConcurrent: 1, timeoutMs: 300 });
    const running = await stt.open({});
    const queued = await stt.open({});
    running.write(voicedMulaw(200));
    queued.write(voicedMulaw(200));
    const controller = new AbortController();
    const first = running.finalize(controller.signal).catch((error: unknown) => error);
    const second = queued.finalize(controller.signal).catch((error: unknown) => error);
    await expect.poll(() => fake.runs().length).toBe(1);
    const abortedAt = Date.now();
    controller.abort();
    expect(await first).toMatchObject({ name: 'AbortError' });
    expect(await second).toMatchObject({ name: 'AbortError' });
    expect(Date.now() - abortedAt).toBeLessThan(200);
    expect(fake.runs()).toHaveLength(1);
    await expect.poll(() => alive(fake.runs()[0]?.pid ?? 0)).toBe(false);
    expect(stt.running).toBe(0);

    running.write(voicedMulaw(200));
    await expect(running.finalize()).rejects.toMatchObject({
      code: 'provider_timeout',
      provider: 'pocketsphinx',
    });
  });

  it('reports a failing recognizer with the errors from its log', async () => {
    const fake = fakeRecognizer({ delayMs: 0, exitCode: 1 });
    const stt = createPocketsphinxSpeechToText({ binary: fake.binary });
    const session = await stt.open({ hints: ['yes'] });
    session.write(voicedMulaw(200));
    await expect(session.finalize()).rejects.toMatchObject({
      code: 'provider_failed',
      message: /exited with 1: ERROR: "jsgf.c", line 42: Undefined rule/,
    });
  });

  it('says what to install when the binary or the model is missing, and refuses other languages', async () => {
    const noBinary = createPocketsphinxSpeechToText({ binary: join(directory, 'no-such-sphinx') });
    await expect(noBinary.ensureAvailable()).rejects.toMatchObject({
      code: 'provider_unavailable',
      message: 'pocketsphinx is not installed (apt-get install pocketsphinx pocketsphinx-en-us)',
    });
    const session = await noBinary.open({});
    session.write(voicedMulaw(200));
    await expect(session.finalize()).rejects.toMatchObject({
      code: 'provider_unavailable',
      message: /apt-get install/,
    });

    const noModel = createPocketsphinxSpeechToText({ modelDirectory: join(directory, 'no-model') });
    await expect(noModel.open({})).rejects.toMatchObject({
      code: 'provider_unavailable',
      message: /model is missing .* \(apt-get install pocketsphinx-en-us\)/,
    });
    await expect(createPocketsphinxSpeechToText().open({ language: 'fr-FR' })).rejects.toMatchObject({
      code: 'provider_unavailable',
    });
    await expect(createPocketsphinxSpeechToText().ensureAvailable()).resolves.toBeUndefined();
  });
});
