import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateSecretKeysSpec } from '@lumay/shared';
import { createTestDatabase, type TestDatabase } from './database.ts';
import {
  type HttpTarget,
  once,
  SEEDED_ADMIN,
  SEEDED_DEMO,
  seedDatabase,
  startOnFreePorts,
  TEST_AUDIENCE,
  TEST_ISSUER,
} from './spawned-server.ts';

export interface EdgeTargetOptions {
  /**
   * Reach Postgres through a `HYPERDRIVE` binding (wrangler's local Hyperdrive, pointed at the test
   * database) instead of DATABASE_URL: the production path, with `prepare: false`.
   */
  hyperdrive?: boolean;
  /**
   * Bind a local Queues producer as EVENTS (Miniflare's queue), which turns on the outbox relay, and
   * expose the cron trigger at `/__scheduled` (wrangler's --test-scheduled).
   */
  queue?: boolean;
  /** Vars to set or, with `undefined`, to leave out (to provoke configuration errors). */
  vars?: Record<string, string | undefined>;
  /** The `/readyz` status that counts as started (503 for a deliberately misconfigured Worker). */
  readyStatus?: number;
}

export type EdgeTarget = HttpTarget & { database: TestDatabase; demoTenantId: string };

/** Quotes a value for a dotenv file (wrangler's --env-file); PEM newlines survive inside quotes. */
function dotenvLine(name: string, value: string): string {
  return `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The repository's wrangler.toml with `main` made absolute and the bindings the options ask for: a
 * Hyperdrive binding whose local connection string is the test database (what `[[hyperdrive]]` with
 * localConnectionString does in dev) and a Queues producer.
 */
async function generatedConfig(
  directory: string,
  options: EdgeTargetOptions,
  connectionString: string,
): Promise<string> {
  const base = await readFile(resolve('wrangler.toml'), 'utf8');
  const main = `main = ${JSON.stringify(resolve('workers/src/edge.ts'))}`;
  const sections = [base.replace(/^main = .*$/m, main)];
  if (options.hyperdrive) {
    sections.push(`[[hyperdrive]]
binding = "HYPERDRIVE"
id = "00000000000000000000000000000000"
localConnectionString = ${JSON.stringify(connectionString)}
`);
  }
  if (options.queue) {
    sections.push(`[[queues.producers]]
binding = "EVENTS"
queue = "lumay-events-test"
`);
  }
  const path = join(directory, 'wrangler.toml');
  await writeFile(path, sections.join('\n'));
  return path;
}

/**
 * The edge build running in workerd: `wrangler dev` with the repository's wrangler.toml, on a free
 * port, against a fresh migrated Postgres database (seeded from here), connecting as the application
 * role. Vars and secrets come from a temporary env file, as `.dev.vars` would provide them.
 */
export async function createEdgeTarget(options: EdgeTargetOptions = {}): Promise<EdgeTarget> {
  const database = await createTestDatabase();
  const directory = await mkdtemp(join(tmpdir(), 'lumay-edge-'));
  const cleanup = once(async () => {
    await rm(directory, { recursive: true, force: true });
    await database.drop();
  });
  try {
    const { keys, demoTenantId } = await seedDatabase(database.url);
    const vars: Record<string, string | undefined> = {
      ...(options.hyperdrive ? {} : { DATABASE_URL: database.appUrl }),
      JWT_PRIVATE_KEY: keys.privateKeyPem,
      JWT_PUBLIC_KEY: keys.publicKeyPem,
      JWT_ISSUER: TEST_ISSUER,
      JWT_AUDIENCE: TEST_AUDIENCE,
      LUMAY_SECRETS_KEYS: generateSecretKeysSpec(),
      ...options.vars,
    };
    const envFile = join(directory, 'edge.env');
    const lines = Object.entries(vars).flatMap(([name, value]) =>
      value === undefined ? [] : [dotenvLine(name, value)],
    );
    await writeFile(envFile, `${lines.join('\n')}\n`, { mode: 0o600 });
    // Hyperdrive insists on a password in the URL; the test server's trust auth never asks for it.
    const hyperdriveUrl = new URL(database.appUrl);
    hyperdriveUrl.password = 'unused-with-trust-auth';
    const config =
      options.hyperdrive || options.queue
        ? await generatedConfig(directory, options, hyperdriveUrl.toString())
        : resolve('wrangler.toml');
    const target = await startOnFreePorts(2, ([port = 0, inspectorPort = 0]) => ({
      name: `edge (wrangler dev, workerd${options.hyperdrive ? ', Hyperdrive' : ''}${options.queue ? ', Queues' : ''})`,
      admin: SEEDED_ADMIN,
      demo: SEEDED_DEMO,
      command: resolve('node_modules/.bin/wrangler'),
      args: [
        'dev',
        '--config',
        config,
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--inspector-port',
        String(inspectorPort),
        // An explicit env file also keeps a developer's .dev.vars out of the tests.
        '--env-file',
        envFile,
        '--persist-to',
        join(directory, 'state'),
        '--show-interactive-dev-session=false',
        '--log-level',
        'info',
        ...(options.queue ? ['--test-scheduled'] : []),
      ],
      env: { WRANGLER_SEND_METRICS: 'false', CI: '1', NO_COLOR: '1' },
      port,
      startTimeoutMs: 150_000,
      ...(options.readyStatus ? { readyStatus: options.readyStatus } : {}),
      // Cloudflare's front door sets CF-Connecting-IP to the client address; locally Miniflare keeps a
      // client-sent one, so the suite's per-request X-Forwarded-For address plays that part.
      prepareRequest: (headers) => {
        const forwarded = headers.get('x-forwarded-for')?.split(',')[0]?.trim();
        if (forwarded && !headers.has('cf-connecting-ip')) headers.set('cf-connecting-ip', forwarded);
      },
      cleanup,
    }));
    return Object.assign(target, { database, demoTenantId });
  } catch (error) {
    await cleanup();
    throw error;
  }
}
