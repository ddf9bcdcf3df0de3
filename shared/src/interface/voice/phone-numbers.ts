import { and, desc, eq, lt } from 'drizzle-orm';
import { AppError, newId } from '../../core/index.ts';
import { appendAudit, type RequestContext } from '../../governance/index.ts';
import { type Database, type Tx, tables } from '../../platform/index.ts';
import { scopeOf } from './context.ts';
import { normalizePhone } from './e164.ts';
import {
  type PhoneNumberMode,
  type PhoneNumberStatus,
  type PhoneNumberView,
  toPhoneNumberView,
} from './views.ts';

export interface PhoneNumberInput {
  /** E.164 (formatting such as spaces or dashes is removed). */
  number: string;
  agentId: string;
  mode?: PhoneNumberMode | undefined;
  label?: string | null | undefined;
  status?: PhoneNumberStatus | undefined;
}

export type PhoneNumberPatch = Partial<Omit<PhoneNumberInput, 'number'>>;

export interface PhoneNumberFilters {
  limit: number;
  cursor?: string | undefined;
  agentId?: string | undefined;
  status?: PhoneNumberStatus | undefined;
}

/** Refuses an agent id that is not an agent of the caller's tenant (RLS hides the others: 404). */
export async function requireAgent(tx: Tx, agentId: string): Promise<void> {
  const [agent] = await tx
    .select({ id: tables.agents.id })
    .from(tables.agents)
    .where(eq(tables.agents.id, agentId));
  if (!agent) throw new AppError('not_found', 'Agent not found');
}

/** The E.164 form of `value`, or a 400 naming the field. */
export function requirePhone(value: string, field: string): string {
  const phone = normalizePhone(value);
  if (!phone) {
    throw new AppError(
      'validation_failed',
      `${field} must be a phone number in E.164 form, such as +15550100000`,
    );
  }
  return phone;
}

async function findPhoneNumber(tx: Tx, id: string) {
  const [row] = await tx.select().from(tables.phoneNumbers).where(eq(tables.phoneNumbers.id, id));
  if (!row) throw new AppError('not_found', 'Phone number not found');
  return row;
}

/**
 * Phone numbers: which agent answers a number of the platform's Twilio account, and how (Media
 * Streams or ConversationRelay). A number belongs to at most one tenant; registering a number that is
 * already registered anywhere is a 409 that does not say where.
 */
export function createPhoneNumberService(db: Database) {
  return {
    async create(context: RequestContext, input: PhoneNumberInput): Promise<PhoneNumberView> {
      const number = requirePhone(input.number, 'number');
      return db.withTenant(scopeOf(context), async (tx) => {
        await requireAgent(tx, input.agentId);
        // DO NOTHING rather than a failed insert: the number may belong to another tenant, invisible here.
        const [row] = await tx
          .insert(tables.phoneNumbers)
          .values({
            id: newId('phoneNumber'),
            tenantId: context.tenantId,
            number,
            agentId: input.agentId,
            mode: input.mode ?? 'media_stream',
            label: input.label ?? null,
            status: input.status ?? 'active',
          })
          .onConflictDoNothing({ target: tables.phoneNumbers.number })
          .returning();
        if (!row) throw new AppError('conflict', `Phone number ${number} is already registered`);
        const view = toPhoneNumberView(row);
        await appendAudit(tx, context, {
          action: 'phone_number.create',
          resourceType: 'phone_number',
          resourceId: view.id,
          after: view,
        });
        return view;
      });
    },

    async get(context: RequestContext, id: string): Promise<PhoneNumberView> {
      return db.withTenant(scopeOf(context), async (tx) => toPhoneNumberView(await findPhoneNumber(tx, id)));
    },

    async list(context: RequestContext, filters: PhoneNumberFilters) {
      return db.withTenant(scopeOf(context), async (tx) => {
        const rows = await tx
          .select()
          .from(tables.phoneNumbers)
          .where(
            and(
              eq(tables.phoneNumbers.tenantId, context.tenantId),
              filters.cursor ? lt(tables.phoneNumbers.id, filters.cursor) : undefined,
              filters.agentId ? eq(tables.phoneNumbers.agentId, filters.agentId) : undefined,
              filters.status ? eq(tables.phoneNumbers.status, filters.status) : undefined,
            ),
          )
          .orderBy(desc(tables.phoneNumbers.id))
          .limit(filters.limit + 1);
        const page = rows.slice(0, filters.limit);
        return {
          data: page.map(toPhoneNumberView),
          nextCursor: rows.length > filters.limit ? (page.at(-1)?.id ?? null) : null,
        };
      });
    },

    async update(context: RequestContext, id: string, patch: PhoneNumberPatch): Promise<PhoneNumberView> {
      return db.withTenant(scopeOf(context), async (tx) => {
        const before = await findPhoneNumber(tx, id);
        if (patch.agentId !== undefined) await requireAgent(tx, patch.agentId);
        const [row] = await tx
          .update(tables.phoneNumbers)
          .set({
            ...(patch.agentId !== undefined ? { agentId: patch.agentId } : {}),
            ...(patch.mode !== undefined ? { mode: patch.mode } : {}),
            ...(patch.label !== undefined ? { label: patch.label } : {}),
            ...(patch.status !== undefined ? { status: patch.status } : {}),
            updatedAt: new Date(),
          })
          .where(eq(tables.phoneNumbers.id, id))
          .returning();
        if (!row) throw new AppError('not_found', 'Phone number not found');
        const after = toPhoneNumberView(row);
        await appendAudit(tx, context, {
          action: 'phone_number.update',
          resourceType: 'phone_number',
          resourceId: id,
          before: toPhoneNumberView(before),
          after,
        });
        return after;
      });
    },

    /** Releases the number (calls keep their history); a campaign calling from it pauses on its next tick. */
    async remove(context: RequestContext, id: string): Promise<void> {
      await db.withTenant(scopeOf(context), async (tx) => {
        const before = await findPhoneNumber(tx, id);
        await tx.delete(tables.phoneNumbers).where(eq(tables.phoneNumbers.id, id));
        await appendAudit(tx, context, {
          action: 'phone_number.delete',
          resourceType: 'phone_number',
          resourceId: id,
          before: toPhoneNumberView(before),
        });
      });
    },
  };
}

export type PhoneNumberService = ReturnType<typeof createPhoneNumberService>;
