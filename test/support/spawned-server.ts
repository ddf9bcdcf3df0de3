import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import {
  createInProcessBus,
  createMemoryCache,
  createPostgresDatabase,
  createTokenService,
  generateTokenKeys,
} from '@lumay/shared';
import { createPostgresOwner } from '@lumay/shared/node';
import { createNodePasswordHasher } from '../../workers/src/node-runtime.ts';
import { seed } from '../../workers/src/seed.ts';
import { createServices } from '../../workers/src/services.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_EMAIL, DEMO_PASSWORD } from './app-target.ts';

/** Sign-in details of a seeded account. */
export interface Credentials {
  email: string;
  password: string;
}

/** A management API reached over real HTTP, whatever runtime serves it. */
export interface HttpTarget {
  name: string;
  baseUrl: string;
  /** The seeded platform administrator and demo-tenant owner. */
  admin: Credentials;
  demo: Credentials;
  fetch: (path: string, init?: RequestInit) => Promise<Response>;
  /** Everything the server printed so far (for failure messages). */
  logs(): string;
  close(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the OS picks; closed again before the server binds it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The accounts `seedDatabase` creates. */
export const SEEDED_ADMIN: Credentials = { email: ADMIN_EMAIL, password: ADMIN_PASSWORD };
export const SEEDED_DEMO: Credentials = { email: DEMO_EMAIL, password: DEMO_PASSWORD };

export const TEST_ISSUER = 'lumay-conformance';
export const TEST_AUDIENCE = 'lumay-api-conformance';

/**
 * Seeds a migrated Postgres database from the test process, like a first start would: the platform
 * admin and the demo tenant, with the fixed test passwords and a fresh ES256 key pair the server gets.
 */
export async function seedDatabase(ownerUrl: string): Promise<{
  keys: { privateKeyPem: string; publicKeyPem: string };
  demoTenantId: string;
}> {
  const keys = await generateTokenKeys();
  const db = createPostgresDatabase({ url: ownerUrl, max: 2 });
  const owner = createPostgresOwner(ownerUrl);
  try {
    const services = createServices({
      db,
      cache: createMemoryCache(),
      bus: createInProcessBus(),
      tokens: await createTokenService({
        ...keys,
        issuer: TEST_ISSUER,
        audience: TEST_AUDIENCE,
        accessTokenTtlSeconds: 900,
      }),
      passwords: createNodePasswordHasher(),
      clientIp: () => null,
      refreshTokenTtlSeconds: 3600,
      bodyLimitBytes: 1024 * 1024,
      version: 'seed',
    });
    const report = await seed(services, db, owner.owner, {
      adminEmail: ADMIN_EMAIL,
      adminPassword: ADMIN_PASSWORD,
      demo: { ownerEmail: DEMO_EMAIL, ownerPassword: DEMO_PASSWORD },
    });
    return { keys, demoTenantId: report.demo?.tenantId ?? '' };
  } finally {
    await owner.close();
    await db.close();
  }
}

export interface SpawnOptions {
  name: string;
  admin: Credentials;
  demo: Credentials;
  command: string;
  args: string[];
  env: Record<string, string>;
  port: number;
  /** How long to wait for `/readyz` to answer `readyStatus`. */
  startTimeoutMs?: number;
  /** The `/readyz` status that means "started" (200; a deliberately misconfigured server answers 503). */
  readyStatus?: number;
  /** Adjusts each request the way the runtime's front door would (e.g. Cloudflare's CF-Connecting-IP). */
  prepareRequest?: (headers: Headers) => void;
  /** Run by `close()` after the process is gone (drop the database, remove temp dirs). */
  cleanup?: () => Promise<void>;
}

const MAX_LOG_CHARS = 200_000;

/**
 * Spawns a server in its own process group, waits until `/readyz` answers, and returns an HTTP
 * target. `close()` and a failed start kill the whole group, so wrangler's workerd child goes too; a
 * failed start throws a StartError carrying the server's output and leaves `cleanup` to the caller.
 */
export async function startSpawnedServer(options: SpawnOptions): Promise<HttpTarget> {
  const baseUrl = `http://127.0.0.1:${options.port}`;
  let output = '';
  const child = spawn(options.command, options.args, {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const append = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (output.length > MAX_LOG_CHARS) output = output.slice(-MAX_LOG_CHARS);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });
  // If the test process dies first, do not leave the server behind.
  const killOnExit = () => killGroup(child, 'SIGKILL');
  process.once('exit', killOnExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    if (!exited) {
      killGroup(child, 'SIGTERM');
      const ended = await Promise.race([exit.then(() => true), delay(10_000).then(() => false)]);
      if (!ended) killGroup(child, 'SIGKILL');
      await Promise.race([exit, delay(5_000)]);
    }
    // wrangler's workerd runs in the same group; make sure nothing of it survives.
    killGroup(child, 'SIGKILL');
  };
  const close = async () => {
    await stop();
    await options.cleanup?.();
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  let lastProblem = 'no answer yet';
  let ready = false;
  try {
    while (!ready && Date.now() < deadline) {
      if (exited) {
        throw new Error(`exited early (code ${exited.code}, signal ${exited.signal})`);
      }
      try {
        const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
        const text = await response.text();
        if (response.status === (options.readyStatus ?? 200)) {
          ready = true;
          break;
        }
        lastProblem = `/readyz answered ${response.status}: ${text.slice(0, 500)}`;
      } catch (error) {
        lastProblem = String(error);
      }
      await delay(250);
    }
    if (!ready) throw new Error(`not ready after ${options.startTimeoutMs ?? 120_000} ms (${lastProblem})`);
  } catch (error) {
    // The caller owns `cleanup` until start succeeds (it may retry on another port).
    await stop();
    throw new StartError(
      `${options.name} failed to start: ${error instanceof Error ? error.message : String(error)}\n--- server output ---\n${output}`,
      /EADDRINUSE|address already in use/i.test(output),
    );
  }

  return {
    name: options.name,
    baseUrl,
    admin: options.admin,
    demo: options.demo,
    fetch: (path, init) => {
      const headers = new Headers(init?.headers);
      options.prepareRequest?.(headers);
      return fetch(new URL(path, baseUrl), { ...init, headers });
    },
    logs: () => output,
    close,
  };
}

/** A server that did not come up; `portTaken` when another process grabbed its port first. */
export class StartError extends Error {
  readonly portTaken: boolean;

  constructor(message: string, portTaken: boolean) {
    super(message);
    this.name = 'StartError';
    this.portTaken = portTaken;
  }
}

/**
 * Starts a server on free ports, trying again on fresh ports when one was taken between choosing
 * it and binding it (the window `freePort` cannot close).
 */
export async function startOnFreePorts(
  count: number,
  options: (ports: number[]) => SpawnOptions,
  attempts = 3,
): Promise<HttpTarget> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    for (let index = 0; index < count; index++) ports.push(await freePort());
    try {
      return await startSpawnedServer(options(ports));
    } catch (error) {
      if (!(error instanceof StartError && error.portTaken) || attempt >= attempts) throw error;
    }
  }
}

/** Wraps a cleanup so that calling it again (start failure, then close) does nothing. */
export function once(work: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= work();
    return done;
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
