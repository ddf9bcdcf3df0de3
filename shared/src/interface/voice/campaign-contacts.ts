import { and, asc, eq, gt } from 'drizzle-orm';
import { AppError, type Clock, newId, systemClock } from '../../core/index.ts';
import { appendAudit, type RequestContext } from '../../governance/index.ts';
import { type Database, tables } from '../../platform/index.ts';
import { findCampaign } from './campaigns.ts';
import { scopeOf } from './context.ts';
import { normalizePhone } from './e164.ts';
import { type ContactStatus, toContactView } from './views.ts';

/** Most contacts one request may add. */
export const MAX_CONTACTS_PER_REQUEST = 1000;

export interface ContactInput {
  /** E.164 (spaces, dashes, dots and parentheses are removed). */
  phone: string;
  name?: string | null | undefined;
  /** Values the agent's flow can use (`{{contact.firstName}}`…). */
  variables?: Record<string, string> | undefined;
}

export type ContactRejection = 'invalid_phone' | 'duplicate_in_request' | 'already_in_campaign';

export interface AddContactsResult {
  added: number;
  /** Rows not added, by their index in the request. */
  rejected: { index: number; phone: string; reason: ContactRejection }[];
}

export interface ContactFilters {
  limit: number;
  cursor?: string | undefined;
  status?: ContactStatus | undefined;
}

/** A campaign's contact list: bulk adds that report each refused row, and paging in insertion order. */
export function createCampaignContactService(options: { db: Database; clock?: Clock }) {
  const { db } = options;
  const clock = options.clock ?? systemClock;

  return {
    /**
     * Adds up to MAX_CONTACTS_PER_REQUEST contacts. Invalid numbers, repeats within the request and
     * numbers already in the campaign are reported, not fatal. A running campaign calls them next.
     */
    async addContacts(
      context: RequestContext,
      campaignId: string,
      contacts: readonly ContactInput[],
    ): Promise<AddContactsResult> {
      if (contacts.length > MAX_CONTACTS_PER_REQUEST) {
        throw new AppError('validation_failed', `At most ${MAX_CONTACTS_PER_REQUEST} contacts per request`);
      }
      const rejected: AddContactsResult['rejected'] = [];
      const accepted = new Map<string, { index: number; contact: ContactInput }>();
      contacts.forEach((contact, index) => {
        const phone = normalizePhone(contact.phone);
        if (!phone) rejected.push({ index, phone: contact.phone, reason: 'invalid_phone' });
        else if (accepted.has(phone)) rejected.push({ index, phone, reason: 'duplicate_in_request' });
        else accepted.set(phone, { index, contact });
      });
      return db.withTenant(scopeOf(context), async (tx) => {
        const campaign = await findCampaign(tx, campaignId, true);
        if (campaign.status === 'completed') {
          throw new AppError('conflict', 'A completed campaign takes no new contacts');
        }
        const now = clock.now();
        const inserted = accepted.size
          ? await tx
              .insert(tables.campaignContacts)
              .values(
                [...accepted].map(([phone, { contact }]) => ({
                  id: newId('campaignContact'),
                  tenantId: context.tenantId,
                  campaignId,
                  phone,
                  name: contact.name ?? null,
                  variables: contact.variables ?? {},
                  createdAt: now,
                  updatedAt: now,
                })),
              )
              .onConflictDoNothing()
              .returning({ phone: tables.campaignContacts.phone })
          : [];
        const added = new Set(inserted.map((row) => row.phone));
        for (const [phone, { index }] of accepted) {
          if (!added.has(phone)) rejected.push({ index, phone, reason: 'already_in_campaign' });
        }
        rejected.sort((left, right) => left.index - right.index);
        await appendAudit(tx, context, {
          action: 'campaign.contacts_add',
          resourceType: 'campaign',
          resourceId: campaignId,
          after: { added: added.size, rejected: rejected.length },
        });
        return { added: added.size, rejected };
      });
    },

    /** Contacts in the order they were added. */
    async listContacts(context: RequestContext, campaignId: string, filters: ContactFilters) {
      const contacts = tables.campaignContacts;
      return db.withTenant(scopeOf(context), async (tx) => {
        await findCampaign(tx, campaignId);
        const rows = await tx
          .select()
          .from(contacts)
          .where(
            and(
              eq(contacts.campaignId, campaignId),
              filters.cursor ? gt(contacts.id, filters.cursor) : undefined,
              filters.status ? eq(contacts.status, filters.status) : undefined,
            ),
          )
          .orderBy(asc(contacts.id))
          .limit(filters.limit + 1);
        const page = rows.slice(0, filters.limit);
        return {
          data: page.map(toContactView),
          nextCursor: rows.length > filters.limit ? (page.at(-1)?.id ?? null) : null,
        };
      });
    },
  };
}

export type CampaignContactService = ReturnType<typeof createCampaignContactService>;
