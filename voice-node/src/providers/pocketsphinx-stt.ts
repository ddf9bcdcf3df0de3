import { spawn } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulawDecode as decodeMulaw, encodeWav } from '../audio/index.ts';
import { abortReason, type SpeechToText, type SpeechToTextSession, VoiceProviderError } from './ports.ts';

/**
 * Offline speech-to-text with CMU pocketsphinx (Debian's 0.8 `pocketsphinx_continuous` and its US
 * English model), the default of every agent: no key, no network. Each utterance is buffered, written
 * as a 16 kHz WAV to a temp folder and recognized by one short-lived process; a semaphore caps the
 * processes running at once (default: one per CPU) so fifty calls ending their turns together queue
 * instead of forking fifty recognizers.
 *
 * Free speech over the phone is beyond this model, so when the flow gives hints (the phrases it
 * expects) recognition is restricted to them with a JSGF grammar. Measured on espeak-ng speech sent
 * through 8 kHz μ-law (10 phrases × 3 voices × 3 rates): JSGF 78/90 exact, keyword spotting (`-kws`,
 * thresholds 1e-10…1e-30) 7–17/90, the default language model 0–6/90. Two choices come from those
 * measurements: the 8 → 16 kHz upsampling repeats samples instead of low-pass interpolating, because
 * the spectral mirror it leaves above 4 kHz stands in for the band the wideband model expects (47/90
 * with a clean sinc upsampler), and the grammar search runs with a wider beam (81/90). A grammar run
 * also gets a dictionary of just its words, which cuts the process's start from ~0.2 s to ~0.04 s.
 */

/** Settings of {@link createPocketsphinxSpeechToText}. */
export interface PocketsphinxSpeechToTextOptions {
  /** Default `pocketsphinx_continuous` (from PATH). */
  binary?: string;
  /** Holds `en-us/` (acoustic model), `cmudict-en-us.dict`, `en-us.lm.bin`. Default Debian's. */
  modelDirectory?: string;
  /** Recognizers running at once. Default: the number of CPUs. */
  maxConcurrent?: number;
  /** Per recognition. Default 20 s. */
  timeoutMs?: number;
  /** Audio kept per utterance; later audio is dropped. Default 60 s. */
  maxUtteranceMs?: number;
  /** Where the per-utterance temp folders go. Default the OS temp folder. */
  tmpDirectory?: string;
}

/** The pocketsphinx provider, plus an installation check and its queue for metrics. */
export interface PocketsphinxSpeechToText extends SpeechToText {
  ensureAvailable(): Promise<void>;
  readonly running: number;
  readonly queued: number;
}

const PROVIDER = 'pocketsphinx';
const BYTES_PER_MS = 8;
const MIN_AUDIO_MS = 100;
const MAX_OUTPUT = 64 * 1024;
const GRAMMAR_SEARCH = ['-beam', '1e-80', '-wbeam', '1e-60'];

/** Lower-case words only, the way the dictionary spells them. */
export const normalizePhrase = (phrase: string) =>
  phrase
    .toLowerCase()
    .replace(/[^a-z' ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** A JSGF grammar accepting exactly one of the phrases. */
export function jsgfGrammar(phrases: readonly string[]): string {
  return `#JSGF V1.0;\ngrammar hints;\npublic <hint> = ${phrases.join(' | ')};\n`;
}

/** Upsamples by repeating each sample (see the module comment for why not interpolate). */
export function upsampleByRepetition(samples: Int16Array, factor: number): Int16Array {
  const out = new Int16Array(samples.length * factor);
  for (let index = 0; index < out.length; index += 1) out[index] = samples[Math.floor(index / factor)] ?? 0;
  return out;
}

function createSemaphore(limit: number) {
  let running = 0;
  const waiting: Array<() => void> = [];
  return {
    get running() {
      return running;
    },
    get queued() {
      return waiting.length;
    },
    acquire(signal?: AbortSignal): Promise<void> {
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      if (running < limit) {
        running += 1;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const grant = () => {
          signal?.removeEventListener('abort', onAbort);
          running += 1;
          resolve();
        };
        const onAbort = () => {
          waiting.splice(waiting.indexOf(grant), 1);
          reject(signal ? abortReason(signal) : undefined);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiting.push(grant);
      });
    },
    release() {
      running -= 1;
      waiting.shift()?.();
    },
  };
}

const dictionaries = new Map<string, Promise<Map<string, string[]>>>();

/** A pronunciation dictionary as word → its lines (`word(2)` variants included), read once per file. */
function loadDictionary(path: string): Promise<Map<string, string[]>> {
  let dictionary = dictionaries.get(path);
  if (!dictionary) {
    dictionary = readFile(path, 'utf8').then((text) => {
      const entries = new Map<string, string[]>();
      for (const line of text.split('\n')) {
        const word = (line.split(' ')[0] ?? '').replace(/\(\d+\)$/, '');
        if (word === '') continue;
        const lines = entries.get(word);
        if (lines) lines.push(line);
        else entries.set(word, [line]);
      }
      return entries;
    });
    dictionary.catch(() => dictionaries.delete(path));
    dictionaries.set(path, dictionary);
  }
  return dictionary;
}

/** Creates the provider; its semaphore is shared by every session it opens. */
export function createPocketsphinxSpeechToText(
  options: PocketsphinxSpeechToTextOptions = {},
): PocketsphinxSpeechToText {
  const binary = options.binary ?? 'pocketsphinx_continuous';
  const modelDirectory = options.modelDirectory ?? '/usr/share/pocketsphinx/model/en-us';
  const model = {
    hmm: join(modelDirectory, 'en-us'),
    dict: join(modelDirectory, 'cmudict-en-us.dict'),
    lm: join(modelDirectory, 'en-us.lm.bin'),
  };
  const timeoutMs = options.timeoutMs ?? 20_000;
  const maxBytes = (options.maxUtteranceMs ?? 60_000) * BYTES_PER_MS;
  const semaphore = createSemaphore(Math.max(1, options.maxConcurrent ?? availableParallelism()));
  const notInstalled = (cause: unknown) =>
    new VoiceProviderError(
      'provider_unavailable',
      PROVIDER,
      'pocketsphinx is not installed (apt-get install pocketsphinx pocketsphinx-en-us)',
      { cause },
    );

  async function ensureModel(): Promise<void> {
    try {
      await Promise.all([access(join(model.hmm, 'mdef')), access(model.dict), access(model.lm)]);
    } catch (cause) {
      throw new VoiceProviderError(
        'provider_unavailable',
        PROVIDER,
        `the pocketsphinx US English model is missing from ${modelDirectory} (apt-get install pocketsphinx-en-us)`,
        { cause },
      );
    }
  }

  /** Runs one recognizer; resolves its stdout. */
  function recognize(args: string[], logFile: string, signal?: AbortSignal): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'ignore'] });
      let stdout = '';
      let failure: unknown;
      const stop = (reason: unknown) => {
        failure ??= reason;
        child.kill('SIGKILL');
      };
      const onAbort = () => stop(signal ? abortReason(signal) : undefined);
      const timer = setTimeout(
        () =>
          stop(
            new VoiceProviderError('provider_timeout', PROVIDER, `pocketsphinx took over ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (data: Buffer) => {
        if (stdout.length < MAX_OUTPUT) stdout += data.toString('utf8');
      });
      child.on('error', (error) => {
        failure ??= Reflect.get(error, 'code') === 'ENOENT' ? notInstalled(error) : error;
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (failure !== undefined) return reject(failure);
        if (code === 0) return resolve(stdout);
        readFile(logFile, 'utf8')
          .catch(() => '')
          .then((log) => {
            const errors = log
              .split('\n')
              .filter((line) => line.startsWith('ERROR'))
              .slice(-3)
              .join(' | ');
            reject(
              new VoiceProviderError(
                'provider_failed',
                PROVIDER,
                `pocketsphinx exited with ${code}: ${errors || 'no log'}`,
              ),
            );
          });
      });
    });
  }

  /** `grammar`: the hint phrases and a dictionary of just their words (loading the full one costs ~0.2 s a run). */
  async function transcribe(
    audio: Uint8Array,
    grammar: { phrases: string[]; dictionary: string } | undefined,
    signal?: AbortSignal,
  ): Promise<string> {
    await semaphore.acquire(signal);
    let directory: string | undefined;
    try {
      directory = await mkdtemp(join(options.tmpDirectory ?? tmpdir(), 'lumay-sphinx-'));
      const wavFile = join(directory, 'utterance.wav');
      const logFile = join(directory, 'recognizer.log');
      await writeFile(wavFile, encodeWav(upsampleByRepetition(decodeMulaw(audio), 2), 16_000));
      const args = ['-infile', wavFile, '-logfn', logFile, '-hmm', model.hmm];
      if (grammar) {
        const grammarFile = join(directory, 'hints.gram');
        const dictionaryFile = join(directory, 'hints.dict');
        await writeFile(grammarFile, jsgfGrammar(grammar.phrases));
        await writeFile(dictionaryFile, grammar.dictionary);
        args.push('-dict', dictionaryFile, '-jsgf', grammarFile, ...GRAMMAR_SEARCH);
      } else {
        args.push('-dict', model.dict, '-lm', model.lm);
      }
      const stdout = await recognize(args, logFile, signal);
      return stdout
        .split('\n')
        .map((line) => line.replace(/^\d{9}:\s*/, '').trim())
        .filter((line) => line !== '')
        .join(' ');
    } finally {
      semaphore.release();
      if (directory) await rm(directory, { recursive: true, force: true });
    }
  }

  return {
    id: PROVIDER,
    get running() {
      return semaphore.running;
    },
    get queued() {
      return semaphore.queued;
    },
    async ensureAvailable() {
      await ensureModel();
      await new Promise<void>((resolve, reject) => {
        const child = spawn(binary, [], { stdio: 'ignore' });
        child.on('error', (error) => reject(notInstalled(error)));
        child.on('close', () => resolve()); // without arguments it prints usage and exits: it runs
      });
    },
    async open({ language, hints }) {
      if (language && !/^en\b/i.test(language)) {
        throw new VoiceProviderError(
          'provider_unavailable',
          PROVIDER,
          `pocketsphinx has only the US English model here; ${language} needs a cloud recognizer`,
        );
      }
      await ensureModel();
      const dictionary = await loadDictionary(model.dict);
      const phrases = [...new Set((hints ?? []).map(normalizePhrase))].filter(
        (phrase) => phrase !== '' && phrase.split(' ').every((word) => dictionary.has(word)),
      );
      const words = [...new Set(phrases.flatMap((phrase) => phrase.split(' ')))];
      const grammar =
        phrases.length > 0
          ? { phrases, dictionary: `${words.flatMap((word) => dictionary.get(word) ?? []).join('\n')}\n` }
          : undefined;
      let chunks: Uint8Array[] = [];
      let buffered = 0;
      let closed = false;
      const session: SpeechToTextSession = {
        write(mulaw) {
          if (closed || buffered + mulaw.length > maxBytes) return;
          chunks.push(mulaw.slice());
          buffered += mulaw.length;
        },
        async finalize(signal) {
          if (closed)
            throw new VoiceProviderError('provider_failed', PROVIDER, 'the recognition session is closed');
          const audio = new Uint8Array(buffered);
          let offset = 0;
          for (const chunk of chunks) {
            audio.set(chunk, offset);
            offset += chunk.length;
          }
          chunks = [];
          buffered = 0;
          const durationMs = audio.length / BYTES_PER_MS;
          if (durationMs < MIN_AUDIO_MS) return { text: '', durationMs };
          return { text: await transcribe(audio, grammar, signal), durationMs };
        },
        close() {
          closed = true;
          chunks = [];
          buffered = 0;
        },
      };
      return session;
    },
  };
}
