import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../support/app-target.ts';
import { createEmbeddedTarget } from '../support/embedded-target.ts';
import type { HttpTarget } from '../support/spawned-server.ts';

/**
 * The "done when": the embedded default (`npm start`, one process, PGlite) answers a
 * simulated Twilio caller — `npm run call:demo`, a separate process speaking the Media Streams
 * protocol with real espeak-ng audio — through a multi-turn call that ends with a stored call record.
 */
describe('a phone call against the embedded default', () => {
  let target: HttpTarget & { voicePort: number; dataDir: string };

  beforeAll(async () => {
    target = await createEmbeddedTarget();
  });
  afterAll(() => target?.close());

  it('completes the demo call script: speech, DTMF, goodbye, call record with turns', async () => {
    const child = spawn(resolve('node_modules/.bin/tsx'), [resolve('scripts/demo-call.ts')], {
      env: {
        ...process.env,
        VOICE_URL: `http://127.0.0.1:${target.voicePort}`,
        API_URL: target.baseUrl,
        PUBLIC_BASE_URL: `https://localhost:${target.voicePort}`,
        LUMAY_DATA_DIR: target.dataDir,
        LUMAY_DEMO_PASSWORD: DEMO_PASSWORD,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code, `${output}\n--- server ---\n${target.logs().slice(-4000)}`).toBe(0);
    expect(output).toContain('call ended by the server');
    const record = JSON.parse(output.slice(output.indexOf('\n{') + 1)) as {
      status: string;
      direction: string;
      endReason: string;
      turns: { callerText: string | null; latencyMs: { totalResponse: number | null } }[];
    };
    expect(record).toMatchObject({ status: 'completed', direction: 'inbound', endReason: 'completed' });
    expect(record.turns.filter((turn) => turn.callerText).length).toBeGreaterThanOrEqual(3);
    expect(record.turns.some((turn) => turn.latencyMs.totalResponse !== null)).toBe(true);
  }, 180_000);
});
