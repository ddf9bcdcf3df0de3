import { spawn } from 'node:child_process';
import { createResampler, createWavReader, encodeMulaw, type Resampler } from './codec.ts';
import { abortReason, type TextToSpeech, VoiceProviderError } from './ports.ts';

/**
 * Offline text-to-speech with espeak-ng, the default of every agent: no key, no network, robotic but
 * always there (also the voice of the fallback line when a cloud provider fails). espeak-ng writes a
 * WAV (22050 Hz PCM16, sizes left unknown) to stdout as it speaks; the adapter parses it as it
 * streams, downsamples to 8 kHz and yields μ-law, so playback starts after the first clause.
 * The text is one argument after `--` (never a shell), so nothing in it is an option or a command.
 */

/** Settings of {@link createEspeakTextToSpeech}. */
export interface EspeakTextToSpeechOptions {
  /** Default `espeak-ng` (from PATH). */
  binary?: string;
  /** espeak-ng voice, default `en-us` (or the request's language, lower-cased). */
  voice?: string;
  /** Words per minute, default 165. */
  rate?: number;
}

/** The espeak-ng provider, plus a check that the binary runs. */
export interface EspeakTextToSpeech extends TextToSpeech {
  ensureAvailable(): Promise<void>;
}

const NOT_INSTALLED = 'espeak-ng is not installed (apt-get install espeak-ng)';
const MAX_STDERR = 2000;

function spawnFailure(error: Error): VoiceProviderError {
  const code = Reflect.get(error, 'code');
  if (code === 'ENOENT' || code === 'EACCES') {
    return new VoiceProviderError('provider_unavailable', 'espeak', NOT_INSTALLED, { cause: error });
  }
  return new VoiceProviderError('provider_failed', 'espeak', `espeak-ng could not start: ${error.message}`, {
    cause: error,
  });
}

/** Creates the provider. */
export function createEspeakTextToSpeech(options: EspeakTextToSpeechOptions = {}): EspeakTextToSpeech {
  const binary = options.binary ?? 'espeak-ng';
  const rate = options.rate ?? 165;

  async function* synthesize(text: string, voice: string, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    if (signal.aborted) throw abortReason(signal);
    const child = spawn(binary, ['--stdout', '-v', voice, '-s', String(rate), '--', text], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let spawnError: Error | undefined;
    child.on('error', (error) => {
      spawnError = error;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => {
      if (stderr.length < MAX_STDERR) stderr += data.toString('utf8');
    });
    const kill = () => child.kill('SIGKILL');
    signal.addEventListener('abort', kill, { once: true });

    const wav = createWavReader();
    let resampler: Resampler | undefined;
    try {
      try {
        for await (const chunk of child.stdout) {
          if (signal.aborted) break;
          const samples = wav.push(chunk as Buffer);
          if (!resampler && wav.format) resampler = createResampler(wav.format.sampleRate, 8000);
          const out = resampler && samples.length > 0 ? resampler.process(samples) : undefined;
          if (out && out.length > 0) yield encodeMulaw(out);
        }
      } catch (error) {
        if (error instanceof Error && /WAV/.test(error.message)) {
          throw new VoiceProviderError(
            'provider_failed',
            'espeak',
            `espeak-ng wrote unreadable audio: ${error.message}`,
          );
        }
        if (!spawnError) throw error; // a spawn failure is reported below, after `close`
      }
      const code = await exited;
      if (signal.aborted) throw abortReason(signal);
      if (spawnError) throw spawnFailure(spawnError);
      if (code !== 0) {
        const detail = stderr.trim() || 'no message';
        throw new VoiceProviderError('provider_failed', 'espeak', `espeak-ng exited with ${code}: ${detail}`);
      }
      if (!resampler)
        throw new VoiceProviderError('provider_failed', 'espeak', 'espeak-ng produced no audio');
      const tail = resampler.flush();
      if (tail.length > 0) yield encodeMulaw(tail);
    } finally {
      signal.removeEventListener('abort', kill);
      if (child.exitCode === null && child.signalCode === null) kill(); // the listener stopped early
    }
  }

  return {
    id: 'espeak',
    synthesize: (text, { voice, language, signal }) =>
      synthesize(text, voice ?? options.voice ?? language?.toLowerCase() ?? 'en-us', signal),
    ensureAvailable: () =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(binary, ['--version'], { stdio: 'ignore' });
        child.on('error', (error) => reject(spawnFailure(error)));
        child.on('close', (code) =>
          code === 0
            ? resolve()
            : reject(
                new VoiceProviderError(
                  'provider_unavailable',
                  'espeak',
                  `espeak-ng --version exited with ${code}`,
                ),
              ),
        );
      }),
  };
}
