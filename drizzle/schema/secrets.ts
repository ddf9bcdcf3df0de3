import { integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { id, timestamps } from './columns.ts';
import { tenantId } from './tenant-column.ts';

/**
 * Envelope-encrypted secrets: the value is AES-256-GCM encrypted under a per-secret data key, which
 * is itself wrapped by the platform key-encryption key of version `kek_version`. Tenant, id and KEK
 * version are bound as associated data, so a ciphertext cannot be moved between rows.
 */
export const secrets = pgTable(
  'secrets',
  {
    id: id(),
    tenantId: tenantId(),
    name: text('name').notNull(),
    kind: text('kind').notNull(),
    ciphertext: text('ciphertext').notNull(),
    iv: text('iv').notNull(),
    wrappedKey: text('wrapped_key').notNull(),
    wrapIv: text('wrap_iv').notNull(),
    kekVersion: integer('kek_version').notNull(),
    lastFour: text('last_four'),
    rotatedAt: timestamp('rotated_at', { withTimezone: true }),
    ...timestamps(),
  },
  (table) => [uniqueIndex('secrets_tenant_name_key').on(table.tenantId, table.name)],
);
