import {
  createKnowledgeServices,
  createPostgresDatabase,
  type Database,
  type KnowledgeServices,
  newId,
  type OwnerQuery,
  type RequestContext,
} from '@lumay/shared';
import { createPgliteDatabase, createPostgresOwner, migratePostgres } from '@lumay/shared/node';
import postgres from 'postgres';

export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type BenchDatabaseKind = 'postgres' | 'pglite';

/** A fresh database with one tenant and its knowledge services, ready for a benchmark. */
export interface BenchEnvironment {
  kind: BenchDatabaseKind;
  db: Database;
  owner: OwnerQuery;
  knowledge: KnowledgeServices;
  context: RequestContext;
  close(): Promise<void>;
}

export async function openEnvironment(kind: BenchDatabaseKind, name: string): Promise<BenchEnvironment> {
  let db: Database;
  let owner: OwnerQuery;
  let close: () => Promise<void>;
  if (kind === 'postgres') {
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.unsafe(`create database "${name}"`);
    await admin.end({ timeout: 5 });
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    await migratePostgres(url.toString());
    db = createPostgresDatabase({ url: url.toString(), max: 4 });
    const ownerConnection = createPostgresOwner(url.toString());
    owner = ownerConnection.owner;
    close = async () => {
      await ownerConnection.close();
      await db.close();
      const cleanup = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`drop database if exists "${name}" with (force)`);
      await cleanup.end({ timeout: 5 });
    };
  } else {
    ({ db, owner } = await createPgliteDatabase(undefined));
    close = () => db.close();
  }
  const tenantId = newId('tenant');
  await owner('insert into tenants (id, name) values ($1, $2)', [tenantId, `bench ${name}`]);
  return {
    kind,
    db,
    owner,
    knowledge: createKnowledgeServices(db),
    context: { tenantId, actor: { type: 'system', id: null }, role: 'owner', requestId: 'bench', ip: null },
    close,
  };
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next];
        next += 1;
        if (item !== undefined) await work(item);
      }
    }),
  );
}

/** The q-quantile of a sample (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/** A plain-text table with right-aligned numbers. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  return [
    line(cells[0] ?? []),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}
