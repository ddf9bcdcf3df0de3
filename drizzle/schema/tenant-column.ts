import { text } from 'drizzle-orm/pg-core';
import { tenants } from './tenants.ts';

/** The tenancy mixin: every tenant-owned row names its tenant; RLS policies test this column. */
export const tenantId = () =>
  text('tenant_id')
    .notNull()
    .references(() => tenants.id, { onDelete: 'cascade' });
