import { and, asc, count, eq } from 'drizzle-orm';
import { AppError, newId } from '../../core/index.ts';
import { appendAudit, type RequestContext } from '../../governance/index.ts';
import { type Database, type Tx, tables } from '../../platform/index.ts';
import type { IntentDefinition } from './local-classifier.ts';

type IntentRow = typeof tables.intents.$inferSelect;

/** An intent of an agent, with its labelled examples. */
export interface IntentView {
  id: string;
  agentId: string;
  name: string;
  description: string | null;
  examples: string[];
  createdAt: string;
  updatedAt: string;
}

/** A new intent. */
export interface IntentInput {
  name: string;
  description?: string | null | undefined;
  examples: string[];
}

/** At most this many intents per agent (each becomes an option of the LLM classifier's enum). */
export const MAX_INTENTS_PER_AGENT = 100;

/** The API view of an intent row. */
export function toIntentView(row: IntentRow): IntentView {
  return {
    id: row.id,
    agentId: row.agentId,
    name: row.name,
    description: row.description,
    examples: row.examples,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const scopeOf = (context: RequestContext) => ({
  tenantId: context.tenantId,
  userId: context.actor.type === 'user' ? context.actor.id : null,
});

async function requireAgent(tx: Tx, agentId: string): Promise<void> {
  const [agent] = await tx
    .select({ id: tables.agents.id })
    .from(tables.agents)
    .where(eq(tables.agents.id, agentId));
  if (!agent) throw new AppError('not_found', 'Agent not found');
}

async function findIntent(tx: Tx, id: string): Promise<IntentRow> {
  const [row] = await tx.select().from(tables.intents).where(eq(tables.intents.id, id));
  if (!row) throw new AppError('not_found', 'Intent not found');
  return row;
}

/** Trims, drops empty and duplicate examples, keeping the first spelling. */
function cleanExamples(examples: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const example of examples) {
    const text = example.trim();
    const key = text.toLowerCase();
    if (text === '' || seen.has(key)) continue;
    seen.add(key);
    out.push(text);
  }
  return out;
}

/**
 * The intents an agent recognises. Every change is audited. Intents belong to an agent of the same
 * tenant; another tenant's agent or intent is a 404.
 */
export function createIntentService(db: Database) {
  return {
    async create(context: RequestContext, agentId: string, input: IntentInput): Promise<IntentView> {
      return db.withTenant(scopeOf(context), async (tx) => {
        await requireAgent(tx, agentId);
        const [existing] = await tx
          .select({ total: count() })
          .from(tables.intents)
          .where(eq(tables.intents.agentId, agentId));
        if ((existing?.total ?? 0) >= MAX_INTENTS_PER_AGENT) {
          throw new AppError('conflict', `An agent may have at most ${MAX_INTENTS_PER_AGENT} intents`);
        }
        const [row] = await tx
          .insert(tables.intents)
          .values({
            id: newId('intent'),
            tenantId: context.tenantId,
            agentId,
            name: input.name,
            description: input.description ?? null,
            examples: cleanExamples(input.examples),
          })
          .returning();
        if (!row) throw new Error('insert returned no row');
        const view = toIntentView(row);
        await appendAudit(tx, context, {
          action: 'intent.create',
          resourceType: 'intent',
          resourceId: view.id,
          after: view,
        });
        return view;
      });
    },

    async list(context: RequestContext, agentId: string): Promise<IntentView[]> {
      return db.withTenant(scopeOf(context), async (tx) => {
        await requireAgent(tx, agentId);
        const rows = await tx
          .select()
          .from(tables.intents)
          .where(and(eq(tables.intents.tenantId, context.tenantId), eq(tables.intents.agentId, agentId)))
          .orderBy(asc(tables.intents.name));
        return rows.map(toIntentView);
      });
    },

    get: (context: RequestContext, id: string): Promise<IntentView> =>
      db.withTenant(scopeOf(context), async (tx) => toIntentView(await findIntent(tx, id))),

    async update(context: RequestContext, id: string, patch: Partial<IntentInput>): Promise<IntentView> {
      return db.withTenant(scopeOf(context), async (tx) => {
        const before = await findIntent(tx, id);
        const [row] = await tx
          .update(tables.intents)
          .set({
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            ...(patch.examples !== undefined ? { examples: cleanExamples(patch.examples) } : {}),
            updatedAt: new Date(),
          })
          .where(eq(tables.intents.id, id))
          .returning();
        if (!row) throw new AppError('not_found', 'Intent not found');
        const after = toIntentView(row);
        await appendAudit(tx, context, {
          action: 'intent.update',
          resourceType: 'intent',
          resourceId: id,
          before: toIntentView(before),
          after,
        });
        return after;
      });
    },

    async remove(context: RequestContext, id: string): Promise<void> {
      await db.withTenant(scopeOf(context), async (tx) => {
        const before = await findIntent(tx, id);
        await tx.delete(tables.intents).where(eq(tables.intents.id, id));
        await appendAudit(tx, context, {
          action: 'intent.delete',
          resourceType: 'intent',
          resourceId: id,
          before: toIntentView(before),
        });
      });
    },

    /** The agent's intents as classifier definitions (404 for an unknown agent). */
    async definitions(context: RequestContext, agentId: string): Promise<IntentDefinition[]> {
      return db.withTenant(scopeOf(context), async (tx) => {
        await requireAgent(tx, agentId);
        const rows = await tx
          .select({
            name: tables.intents.name,
            description: tables.intents.description,
            examples: tables.intents.examples,
          })
          .from(tables.intents)
          .where(eq(tables.intents.agentId, agentId))
          .orderBy(asc(tables.intents.name));
        return rows;
      });
    },
  };
}

export type IntentService = ReturnType<typeof createIntentService>;
