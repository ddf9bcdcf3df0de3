import { text, timestamp } from 'drizzle-orm/pg-core';

/** Column mixins shared by every table: prefixed text ids and timestamps. */
export const id = () => text('id').primaryKey();
export const createdAt = () =>
  timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
export const updatedAt = () =>
  timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
export const timestamps = () => ({ createdAt: createdAt(), updatedAt: updatedAt() });
