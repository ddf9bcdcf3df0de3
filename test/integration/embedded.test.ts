import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The embedded default as a user runs it (`npm start` = `tsx workers/src/embedded.ts`): a real child
 * process on real ports, PGlite under a temporary LUMAY_DATA_DIR.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const START_TIMEOUT_MS = 90_000;
/** Two starts and stops in the slowest test, on a machine busy with other suites. */
const TEST_TIMEOUT_MS = 240_000;

interface Embedded {
  child: ChildProcess;
  baseUrl: string;
  voiceUrl: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Kills the child's whole process group (tsx runs the app in a grandchild). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

async function startEmbedded(dataDir: string, extraEnv: Record<string, string> = {}): Promise<Embedded> {
  const [port, voicePort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    PORT: String(port),
    VOICE_PORT: String(voicePort),
    LUMAY_DATA_DIR: dataDir,
    ...extraEnv,
  };
  // Settings that would steer the process away from the embedded default.
  for (const name of ['DATABASE_URL', 'JWT_PRIVATE_KEY', 'JWT_PUBLIC_KEY', 'LUMAY_ADMIN_EMAIL'])
    delete env[name];
  for (const name of ['LUMAY_ADMIN_PASSWORD', 'LUMAY_DEMO_PASSWORD']) {
    if (!(name in extraEnv)) delete env[name];
  }
  const child = spawn(TSX, ['workers/src/embedded.ts'], {
    cwd: ROOT,
    env,
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
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolveExit({ code, signal });
    }),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  let exitedEarly = false;
  void exited.then(() => {
    exitedEarly = true;
  });
  for (;;) {
    if (exitedEarly) throw new Error(`embedded server exited before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      killGroup(child, 'SIGKILL');
      throw new Error(`embedded server not ready within ${START_TIMEOUT_MS} ms:\n${output}`);
    }
    const ready = await fetch(`${baseUrl}/readyz`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) break;
    await new Promise((wait) => setTimeout(wait, 250));
  }
  return { child, baseUrl, voiceUrl: `http://127.0.0.1:${voicePort}`, output: () => output, exited };
}

/** Sends SIGTERM to the started process only, as a process manager would. */
async function stop(server: Embedded): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  server.child.kill('SIGTERM');
  const timeout = setTimeout(() => killGroup(server.child, 'SIGKILL'), 30_000);
  try {
    return await server.exited;
  } finally {
    clearTimeout(timeout);
  }
}

async function json(url: string, init: { method?: string; token?: string; body?: unknown } = {}) {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as any, text };
}

async function loginAt(baseUrl: string, email: string, password: string) {
  const response = await json(`${baseUrl}/v1/auth/login`, { method: 'POST', body: { email, password } });
  expect(response.status, response.text).toBe(200);
  return response.body.accessToken as string;
}

const scratch: string[] = [];
async function tempDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `lumay-embedded-${label}-`));
  scratch.push(dir);
  return dir;
}

afterAll(async () => {
  for (const child of children) killGroup(child, 'SIGKILL');
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

describe('embedded default (npm start)', () => {
  const ADMIN_PASSWORD = 'embedded-admin-password';
  const DEMO_PASSWORD = 'embedded-demo-password';
  const passwords = { LUMAY_ADMIN_PASSWORD: ADMIN_PASSWORD, LUMAY_DEMO_PASSWORD: DEMO_PASSWORD };
  let dataDir: string;
  let firstRunAgentId: string;
  let firstRunToken: string;

  beforeAll(async () => {
    dataDir = await tempDir('persist');
  });

  it(
    'starts, serves the seeded demo tenant and the voice node, and stops cleanly on SIGTERM',
    async () => {
      const server = await startEmbedded(dataDir, passwords);
      try {
        const token = await loginAt(server.baseUrl, 'demo@lumay.local', DEMO_PASSWORD);
        const agents = await json(`${server.baseUrl}/v1/agents`, { token });
        expect(agents.status).toBe(200);
        expect(agents.body.data.map((agent: { name: string }) => agent.name)).toEqual([
          'Billing specialist',
          'Demo support agent',
        ]);

        const created = await json(`${server.baseUrl}/v1/agents`, {
          method: 'POST',
          token,
          body: { name: 'Created in the first run' },
        });
        expect(created.status).toBe(201);
        firstRunAgentId = created.body.id;
        firstRunToken = token;

        const voice = await fetch(`${server.voiceUrl}/healthz`);
        expect(voice.status).toBe(200);
        expect(await voice.json()).toMatchObject({ status: 'ok' });
        expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);

        // Passwords came from the environment: nothing generated, nothing printed, no credentials file.
        expect(server.output()).not.toContain('generated passwords');
        expect(server.output()).not.toContain(DEMO_PASSWORD);
        await expect(stat(join(dataDir, 'first-run-credentials.txt'))).rejects.toMatchObject({
          code: 'ENOENT',
        });
      } finally {
        const exit = await stop(server);
        expect(exit).toEqual({ code: 0, signal: null });
      }
      expect(server.output()).toContain('SIGTERM received');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'keeps data, keys and a single demo tenant across a restart on the same data dir',
    async () => {
      expect(firstRunAgentId, 'the first run must have created an agent').toMatch(/^agt_/);
      const server = await startEmbedded(dataDir, passwords);
      try {
        // The JWT keys persisted in the data dir: a token from the first run is still accepted.
        const me = await json(`${server.baseUrl}/v1/auth/me`, { token: firstRunToken });
        expect(me.status).toBe(200);

        const token = await loginAt(server.baseUrl, 'demo@lumay.local', DEMO_PASSWORD);
        const agents = await json(`${server.baseUrl}/v1/agents`, { token });
        const names = agents.body.data.map((agent: { name: string }) => agent.name).sort();
        expect(names).toEqual(['Billing specialist', 'Created in the first run', 'Demo support agent']);
        expect(agents.body.data.map((agent: { id: string }) => agent.id)).toContain(firstRunAgentId);

        const adminToken = await loginAt(server.baseUrl, 'admin@lumay.local', ADMIN_PASSWORD);
        const tenants = await json(`${server.baseUrl}/v1/tenants?limit=100`, { token: adminToken });
        expect(tenants.status).toBe(200);
        const tenantNames = tenants.body.data.map((tenant: { name: string }) => tenant.name).sort();
        expect(tenantNames).toEqual(['Demo Company', 'Platform']);

        const chain = await json(`${server.baseUrl}/v1/audit/verify`, { token });
        expect(chain.body).toMatchObject({ valid: true });
      } finally {
        expect(await stop(server)).toEqual({ code: 0, signal: null });
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'generates, prints and saves credentials on a first start without passwords',
    async () => {
      const fresh = await tempDir('generated');
      const server = await startEmbedded(fresh);
      let saved = '';
      try {
        const output = server.output();
        const admin = /platform admin: admin@lumay\.local \/ (\S+)/.exec(output)?.[1];
        const demo = /demo owner: +demo@lumay\.local \/ (\S+)/.exec(output)?.[1];
        expect(admin, output).toBeDefined();
        expect(demo, output).toBeDefined();

        const file = join(fresh, 'first-run-credentials.txt');
        saved = await readFile(file, 'utf8');
        expect(saved).toContain(`admin@lumay.local / ${admin}`);
        expect(saved).toContain(`demo@lumay.local / ${demo}`);
        expect((await stat(file)).mode & 0o777).toBe(0o600);

        await loginAt(server.baseUrl, 'admin@lumay.local', admin as string);
        const token = await loginAt(server.baseUrl, 'demo@lumay.local', demo as string);
        expect((await json(`${server.baseUrl}/v1/agents`, { token })).body.data).toHaveLength(2);
      } finally {
        expect(await stop(server)).toEqual({ code: 0, signal: null });
      }

      // A second start generates nothing new and leaves the saved credentials as they were.
      const again = await startEmbedded(fresh);
      try {
        expect(again.output()).not.toContain('generated passwords');
        expect(await readFile(join(fresh, 'first-run-credentials.txt'), 'utf8')).toBe(saved);
        const demo = /demo@lumay\.local \/ (\S+)/.exec(saved)?.[1] as string;
        await loginAt(again.baseUrl, 'demo@lumay.local', demo);
      } finally {
        expect(await stop(again)).toEqual({ code: 0, signal: null });
      }
    },
    TEST_TIMEOUT_MS,
  );
});
