import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { createdAt, id, timestamps } from './columns.ts';
import { tenantId } from './tenant-column.ts';

/** A tenant-defined set of test conversations for an agent (user turns plus expectations). */
export const testSuites = pgTable(
  'test_suites',
  {
    id: id(),
    tenantId: tenantId(),
    agentId: text('agent_id').notNull(),
    name: text('name').notNull(),
    cases: jsonb('cases').$type<unknown[]>().notNull().default([]),
    ...timestamps(),
  },
  (table) => [index('test_suites_agent_idx').on(table.tenantId, table.agentId)],
);

/** One execution of a suite against a draft or a published version, with per-case results. */
export const testRuns = pgTable(
  'test_runs',
  {
    id: id(),
    tenantId: tenantId(),
    agentId: text('agent_id').notNull(),
    suiteId: text('suite_id'),
    target: text('target').notNull(),
    status: text('status', { enum: ['running', 'passed', 'failed', 'error'] }).notNull(),
    passed: integer('passed').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    results: jsonb('results').$type<unknown[]>().notNull().default([]),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (table) => [index('test_runs_agent_idx').on(table.tenantId, table.agentId, table.id)],
);
