import { resolve } from 'node:path';
import { generateSecretKeysSpec } from '@lumay/shared';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { TEST_AMQP_URL, TEST_REDIS_URL } from './services.ts';
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

type Keys = { privateKeyPem: string; publicKeyPem: string };

/** One KEK for every instance this process starts (instances sharing a database must share it). */
const SECRETS_KEYS = generateSecretKeysSpec();

function startNodeServer(database: TestDatabase, keys: Keys, label: string, cleanup: () => Promise<void>) {
  return startOnFreePorts(1, ([port = 0]) => ({
    name: `node (workers/src/node.ts)${label}`,
    admin: SEEDED_ADMIN,
    demo: SEEDED_DEMO,
    command: resolve('node_modules/.bin/tsx'),
    args: [resolve('workers/src/node.ts')],
    env: {
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: database.appUrl,
      MIGRATION_DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      AMQP_URL: TEST_AMQP_URL,
      JWT_PRIVATE_KEY: keys.privateKeyPem,
      JWT_PUBLIC_KEY: keys.publicKeyPem,
      JWT_ISSUER: TEST_ISSUER,
      JWT_AUDIENCE: TEST_AUDIENCE,
      LUMAY_SECRETS_KEYS: SECRETS_KEYS,
      // The suite's client sends a fresh X-Forwarded-For per request; without this every request
      // shares 127.0.0.1 and the per-address login limit (kept in the shared Redis) spans runs.
      TRUST_PROXY: 'true',
    },
    port,
    startTimeoutMs: 90_000,
    cleanup,
  }));
}

/**
 * The on-prem target: `tsx workers/src/node.ts` on a free port, against a fresh Postgres database
 * (the server connects as the application role and migrates with the owner URL), the shared Redis
 * and RabbitMQ. The database is seeded from here, with the token keys the server is given.
 */
export async function createNodeTarget(): Promise<HttpTarget> {
  const [target] = await createNodeTargets(1);
  if (!target) throw new Error('no node target started');
  return target;
}

/**
 * `count` Node instances sharing one database, Redis and RabbitMQ (and token keys), as behind a load
 * balancer. The database is dropped when the last instance closes.
 */
export async function createNodeTargets(count: number): Promise<HttpTarget[]> {
  const database = await createTestDatabase();
  let open = count;
  const dropDatabase = once(() => database.drop());
  const releaseOne = async () => {
    open -= 1;
    if (open <= 0) await dropDatabase();
  };
  const started: HttpTarget[] = [];
  try {
    const { keys } = await seedDatabase(database.url);
    for (let index = 0; index < count; index++) {
      started.push(
        await startNodeServer(database, keys, count > 1 ? ` #${index + 1}` : '', once(releaseOne)),
      );
    }
    return started;
  } catch (error) {
    await Promise.allSettled(started.map((target) => target.close()));
    await dropDatabase();
    throw error;
  }
}
