import { migratePostgres } from '@lumay/shared/node';
import postgres from 'postgres';
import { databaseUrl, TEST_POSTGRES_URL } from './services.ts';

export interface TestDatabase {
  /** Owner (superuser) URL of the fresh database. */
  url: string;
  /** The same database, connecting as the application role `lumay_app` (NOSUPERUSER NOBYPASSRLS). */
  appUrl: string;
  drop(): Promise<void>;
}

/** Creates and migrates a fresh, uniquely named database on the test Postgres server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `lumay_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = databaseUrl(name);
  await migratePostgres(url);
  const app = new URL(url);
  app.username = 'lumay_app';
  app.password = '';
  return {
    url,
    appUrl: app.toString(),
    async drop() {
      const sql = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  };
}
