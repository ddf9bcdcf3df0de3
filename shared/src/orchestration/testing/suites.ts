import { and, desc, eq, lt, ne } from 'drizzle-orm';
import { AppError, newId } from '../../core/index.ts';
import { appendAudit, type RequestContext } from '../../governance/index.ts';
import { type Database, type Tx, tables } from '../../platform/index.ts';
import { tenantScope } from '../flows/flow-records.ts';
import type { TestCase } from './model.ts';
import { type TestSuiteView, toSuiteView } from './views.ts';

/** What a suite is made of (validated by `TestCases` before it gets here). */
export interface TestSuiteInput {
  name: string;
  cases: TestCase[];
}

type SuiteRow = typeof tables.testSuites.$inferSelect;

/** 404 unless the agent exists in the caller's tenant (RLS filters other tenants' agents). */
export async function assertAgent(tx: Tx, agentId: string): Promise<void> {
  const [agent] = await tx
    .select({ id: tables.agents.id })
    .from(tables.agents)
    .where(eq(tables.agents.id, agentId));
  if (!agent) throw new AppError('not_found', 'Agent not found');
}

/** A suite of the caller's tenant, or 404. */
export async function findSuite(tx: Tx, id: string): Promise<SuiteRow> {
  const [row] = await tx.select().from(tables.testSuites).where(eq(tables.testSuites.id, id));
  if (!row) throw new AppError('not_found', 'Test suite not found');
  return row;
}

async function assertNameFree(tx: Tx, agentId: string, name: string, exceptId?: string): Promise<void> {
  const [taken] = await tx
    .select({ id: tables.testSuites.id })
    .from(tables.testSuites)
    .where(
      and(
        eq(tables.testSuites.agentId, agentId),
        eq(tables.testSuites.name, name),
        exceptId ? ne(tables.testSuites.id, exceptId) : undefined,
      ),
    );
  if (taken) {
    throw new AppError('conflict', `The agent already has a test suite named "${name}"`, {
      details: { suiteId: taken.id },
    });
  }
}

/** What the audit log keeps of a suite: its identity and size (cases can be long). */
const auditView = (row: SuiteRow) => ({
  id: row.id,
  agentId: row.agentId,
  name: row.name,
  caseCount: row.cases.length,
});

/**
 * Test suites of an agent: named lists of test cases. Names are unique per agent; every change is
 * audited (`test_suite.create|update|delete`). Runs keep their results when a suite is deleted.
 */
export function createTestSuiteService(db: Database) {
  return {
    async list(
      context: RequestContext,
      agentId: string,
      page: { limit: number; cursor?: string | undefined },
    ) {
      return db.withTenant(tenantScope(context), async (tx) => {
        await assertAgent(tx, agentId);
        const rows = await tx
          .select()
          .from(tables.testSuites)
          .where(
            and(
              eq(tables.testSuites.agentId, agentId),
              page.cursor ? lt(tables.testSuites.id, page.cursor) : undefined,
            ),
          )
          .orderBy(desc(tables.testSuites.id))
          .limit(page.limit + 1);
        const items = rows.slice(0, page.limit);
        return {
          data: items.map((row) => toSuiteView(row, false)),
          nextCursor: rows.length > page.limit ? (items.at(-1)?.id ?? null) : null,
        };
      });
    },

    async create(context: RequestContext, agentId: string, input: TestSuiteInput): Promise<TestSuiteView> {
      return db.withTenant(tenantScope(context), async (tx) => {
        await assertAgent(tx, agentId);
        await assertNameFree(tx, agentId, input.name);
        const [row] = await tx
          .insert(tables.testSuites)
          .values({
            id: newId('testSuite'),
            tenantId: context.tenantId,
            agentId,
            name: input.name,
            cases: input.cases,
          })
          .returning();
        if (!row) throw new Error('insert returned no row');
        await appendAudit(tx, context, {
          action: 'test_suite.create',
          resourceType: 'test_suite',
          resourceId: row.id,
          after: auditView(row),
        });
        return toSuiteView(row, true);
      });
    },

    async get(context: RequestContext, id: string): Promise<TestSuiteView> {
      return db.withTenant(tenantScope(context), async (tx) => toSuiteView(await findSuite(tx, id), true));
    },

    async update(
      context: RequestContext,
      id: string,
      patch: Partial<TestSuiteInput>,
    ): Promise<TestSuiteView> {
      return db.withTenant(tenantScope(context), async (tx) => {
        const before = await findSuite(tx, id);
        if (patch.name !== undefined) await assertNameFree(tx, before.agentId, patch.name, id);
        const [row] = await tx
          .update(tables.testSuites)
          .set({
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.cases !== undefined ? { cases: patch.cases } : {}),
            updatedAt: new Date(),
          })
          .where(eq(tables.testSuites.id, id))
          .returning();
        if (!row) throw new AppError('not_found', 'Test suite not found');
        await appendAudit(tx, context, {
          action: 'test_suite.update',
          resourceType: 'test_suite',
          resourceId: id,
          before: auditView(before),
          after: auditView(row),
        });
        return toSuiteView(row, true);
      });
    },

    async remove(context: RequestContext, id: string): Promise<void> {
      await db.withTenant(tenantScope(context), async (tx) => {
        const before = await findSuite(tx, id);
        await tx.delete(tables.testSuites).where(eq(tables.testSuites.id, id));
        await appendAudit(tx, context, {
          action: 'test_suite.delete',
          resourceType: 'test_suite',
          resourceId: id,
          before: auditView(before),
        });
      });
    },
  };
}

export type TestSuiteService = ReturnType<typeof createTestSuiteService>;
