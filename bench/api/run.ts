/**
 * bench/api: authenticated, tenant-scoped GET /v1/agents/{id} and GET /v1/agents?limit=20 on the Node
 * target (real Postgres, Redis, RabbitMQ) against a bare Hono + postgres.js baseline measured in the
 * same run. Prints req/s, p50, p99 and the ratio to the baseline.
 *
 *   npm run bench:api            (CONNECTIONS=64 DURATION=10 by default)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { generateTokenKeys } from '@lumay/shared';
import autocannon from 'autocannon';
import postgres from 'postgres';

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64);
const DURATION = Number(process.env.DURATION ?? 10);
const WARMUP = Number(process.env.WARMUP ?? 3);
const DB_NAME = 'lumay_bench_api';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitFor(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not become ready`);
}

function start(command: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(`[${args.at(-1)}] ${chunk}`));
  return child;
}

interface Figures {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function measure(name: string, url: string, headers: Record<string, string> = {}): Promise<Figures> {
  await autocannon({ url, connections: CONNECTIONS, duration: WARMUP, headers });
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, headers });
  return {
    name,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

async function main(): Promise<void> {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${DB_NAME} with (force)`);
  await admin.unsafe(`create database ${DB_NAME}`);
  await admin.end();
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${DB_NAME}`;
  const databaseUrl = dbUrl.toString();
  // As recommended for production: the API logs in as the application role, migrations as the owner.
  const appUrl = new URL(databaseUrl);
  appUrl.username = 'lumay_app';
  appUrl.password = '';

  const keys = await generateTokenKeys();
  const apiPort = await freePort();
  const basePort = await freePort();
  const adminPassword = 'bench-admin-password';
  const api = start('npx', ['tsx', 'workers/src/node.ts'], {
    DATABASE_URL: appUrl.toString(),
    MIGRATION_DATABASE_URL: databaseUrl,
    REDIS_URL,
    AMQP_URL,
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    JWT_PRIVATE_KEY: keys.privateKeyPem,
    JWT_PUBLIC_KEY: keys.publicKeyPem,
    LUMAY_ADMIN_EMAIL: 'admin@bench.lumay',
    LUMAY_ADMIN_PASSWORD: adminPassword,
    DATABASE_POOL_MAX: '20',
    LUMAY_SECRETS_KEYS: `1:${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64')}`,
  });
  const baseline = start('npx', ['tsx', 'bench/api/baseline-server.ts'], {
    DATABASE_URL: databaseUrl,
    PORT: String(basePort),
    DATABASE_POOL_MAX: '20',
  });
  try {
    await waitFor(`http://127.0.0.1:${apiPort}/readyz`, api);
    const apiBase = `http://127.0.0.1:${apiPort}`;
    const post = async (path: string, body: unknown, token?: string) => {
      const response = await fetch(`${apiBase}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as Record<string, any>;
    };
    const adminToken = (await post('/v1/auth/login', { email: 'admin@bench.lumay', password: adminPassword }))
      .accessToken;
    const tenant = await post(
      '/v1/tenants',
      { name: 'Bench', owner: { email: 'owner@bench.lumay', password: 'bench-owner-password' } },
      adminToken,
    );
    const token = (
      await post('/v1/auth/login', { email: 'owner@bench.lumay', password: 'bench-owner-password' })
    ).accessToken as string;
    let agentId = '';
    for (let index = 0; index < 25; index++) {
      agentId = (
        await post('/v1/agents', { name: `Bench agent ${index}`, config: { prompt: 'x'.repeat(200) } }, token)
      ).id;
    }
    await waitFor(`http://127.0.0.1:${basePort}/agents/${agentId}`, baseline);
    const auth = { authorization: `Bearer ${token}` };
    const figures = [
      await measure('baseline GET one', `http://127.0.0.1:${basePort}/agents/${agentId}`),
      await measure('LuMay GET /v1/agents/{id}', `${apiBase}/v1/agents/${agentId}`, auth),
      await measure('baseline list 20', `http://127.0.0.1:${basePort}/agents?tenant=${tenant.tenant.id}`),
      await measure('LuMay GET /v1/agents?limit=20', `${apiBase}/v1/agents?limit=20`, auth),
    ];
    console.log(`\nbench/api — ${CONNECTIONS} connections, ${DURATION}s per run after ${WARMUP}s warm-up\n`);
    console.log('| scenario | req/s | p50 ms | p99 ms | errors | non-2xx | ratio to baseline |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const [index, row] of figures.entries()) {
      const base = figures[index - (index % 2)];
      const ratio = base ? `${((row.requestsPerSecond / base.requestsPerSecond) * 100).toFixed(0)}%` : '';
      console.log(
        `| ${row.name} | ${row.requestsPerSecond.toFixed(0)} | ${row.p50} | ${row.p99} | ${row.errors} | ${row.non2xx} | ${ratio} |`,
      );
    }
  } finally {
    api.kill('SIGTERM');
    baseline.kill('SIGTERM');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
