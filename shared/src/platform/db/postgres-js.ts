import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from '../../../../drizzle/schema/index.ts';
import type { Database, DrizzleHandle } from './database.ts';
import { createScopedDatabase } from './scoped.ts';

export interface PostgresOptions {
  /** postgres:// URL, or a Hyperdrive binding's connection string at the edge. */
  url: string;
  /** Pool size; Workers allow six concurrent connections, so keep this ≤ 5 there. */
  max?: number;
  /** Disable prepared statements for transaction-mode poolers that lack support for them. */
  prepare?: boolean;
  connectTimeoutSeconds?: number;
}

/** The production database adapter: Postgres through postgres.js (Node and Workers alike). */
export function createPostgresDatabase(options: PostgresOptions): Database {
  const client = postgres(options.url, {
    max: options.max ?? 10,
    prepare: options.prepare ?? true,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: 30,
    onnotice: () => {},
  });
  const handle = drizzle(client, { schema }) as unknown as DrizzleHandle;
  return createScopedDatabase({
    dialect: 'postgres',
    handle,
    close: () => client.end({ timeout: 5 }),
  });
}
