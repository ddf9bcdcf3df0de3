import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** A bad setting must stop the embedded default before it touches anything, naming the variable. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const EXIT_TIMEOUT_MS = 60_000;

const children = new Set<ChildProcess>();
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'lumay-config-'));
});

afterAll(async () => {
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Runs the embedded entry point with `env` and resolves with its exit code and everything it printed. */
async function runEmbedded(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', ...env };
  for (const name of ['DATABASE_URL', 'LUMAY_ADMIN_PASSWORD', 'LUMAY_DEMO_PASSWORD', 'JWT_PRIVATE_KEY']) {
    if (!(name in env)) delete childEnv[name];
  }
  const child = spawn(TSX, ['workers/src/embedded.ts'], {
    cwd: ROOT,
    env: childEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      reject(new Error(`the process did not exit within ${EXIT_TIMEOUT_MS} ms:\n${output}`));
    }, EXIT_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, output });
    });
  });
}

describe('embedded start-up configuration', () => {
  const cases: { variable: string; value: string; expected: RegExp }[] = [
    { variable: 'PORT', value: 'abc', expected: /PORT: .*number/ },
    { variable: 'PORT', value: '70000', expected: /PORT: / },
    { variable: 'VOICE_PORT', value: '-1', expected: /VOICE_PORT: / },
    {
      variable: 'LUMAY_ADMIN_PASSWORD',
      value: 'short',
      expected: /LUMAY_ADMIN_PASSWORD: must be at least 12 characters/,
    },
    {
      variable: 'LUMAY_DEMO_PASSWORD',
      value: 'short',
      expected: /LUMAY_DEMO_PASSWORD: must be at least 12 characters/,
    },
    {
      variable: 'LUMAY_ADMIN_EMAIL',
      value: 'not-an-email',
      expected: /LUMAY_ADMIN_EMAIL: must be an email address/,
    },
    {
      variable: 'DATABASE_URL',
      value: 'mysql://db',
      expected: /DATABASE_URL: must be a postgres:\/\/ connection URL/,
    },
    { variable: 'TRUST_PROXY', value: 'maybe', expected: /TRUST_PROXY: must be true or false/ },
  ];

  it.each(cases)(
    'refuses $variable=$value, naming the variable, before creating anything',
    async ({ variable, value, expected }) => {
      const dataDir = join(scratch, `${variable}-${value.replace(/\W/g, '_')}`);
      const { code, output } = await runEmbedded({
        LUMAY_DATA_DIR: dataDir,
        PORT: '65000',
        VOICE_PORT: '65001',
        [variable]: value,
      });
      expect(code, output).not.toBe(0);
      expect(code).toBe(78);
      expect(output).toContain('LuMay cannot start');
      expect(output).toMatch(expected);
      // Validation happens before any side effect: the data directory was never created.
      await expect(stat(dataDir)).rejects.toMatchObject({ code: 'ENOENT' });
    },
    EXIT_TIMEOUT_MS,
  );

  it(
    'names every bad variable at once',
    async () => {
      const { code, output } = await runEmbedded({
        LUMAY_DATA_DIR: join(scratch, 'several'),
        PORT: 'abc',
        LUMAY_ADMIN_PASSWORD: 'tiny-secret',
      });
      expect(code).toBe(78);
      expect(output).toMatch(/PORT: /);
      expect(output).toMatch(/LUMAY_ADMIN_PASSWORD: /);
      // The values themselves are not echoed (a password could be in them).
      expect(output).not.toContain('tiny-secret');
    },
    EXIT_TIMEOUT_MS,
  );
});
