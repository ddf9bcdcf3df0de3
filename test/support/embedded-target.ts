import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_PASSWORD } from './app-target.ts';
import { type HttpTarget, once, startOnFreePorts } from './spawned-server.ts';

/**
 * The embedded default (`npm start`): `tsx workers/src/embedded.ts` with PGlite in a temporary
 * LUMAY_DATA_DIR, on free API and voice ports, seeding itself on first start as a newcomer's would.
 */
export async function createEmbeddedTarget(): Promise<HttpTarget & { voicePort: number; dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lumay-embedded-'));
  const cleanup = once(() => rm(dataDir, { recursive: true, force: true }));
  let chosenVoicePort = 0;
  try {
    const target = await startOnFreePorts(2, ([port = 0, voicePort = 0]) => {
      chosenVoicePort = voicePort;
      return {
        name: 'embedded (workers/src/embedded.ts, PGlite)',
        admin: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
        // embedded.ts names its demo owner itself.
        demo: { email: 'demo@lumay.local', password: DEMO_PASSWORD },
        command: resolve('node_modules/.bin/tsx'),
        args: [resolve('workers/src/embedded.ts')],
        env: {
          HOST: '127.0.0.1',
          PORT: String(port),
          VOICE_PORT: String(voicePort),
          LUMAY_DATA_DIR: dataDir,
          LUMAY_ADMIN_EMAIL: ADMIN_EMAIL,
          LUMAY_ADMIN_PASSWORD: ADMIN_PASSWORD,
          LUMAY_DEMO_PASSWORD: DEMO_PASSWORD,
          TRUST_PROXY: 'true',
        },
        port,
        startTimeoutMs: 90_000,
        cleanup,
      };
    });
    return Object.assign(target, { voicePort: chosenVoicePort, dataDir });
  } catch (error) {
    await cleanup();
    throw error;
  }
}
