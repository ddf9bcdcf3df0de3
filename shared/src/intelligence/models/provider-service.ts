import { and, desc, eq, lt } from 'drizzle-orm';
import { AppError, newId } from '../../core/index.ts';
import { appendAudit, type RequestContext, type SecretService } from '../../governance/index.ts';
import { type Database, type Tx, tables } from '../../platform/index.ts';
import type { ModelProviderName, ModelRegistry } from '../llm/index.ts';
import { checkModelEndpoint, type ModelEndpointPolicy } from './endpoint-policy.ts';
import { type ModelProviderRow, type ModelProviderSettings, settingsOf } from './provider-config.ts';

/** A provider as the API shows it: the key never, only whether there is one and its last four. */
export interface ModelProviderView {
  id: string;
  name: string;
  provider: ModelProviderName;
  baseUrl: string | null;
  defaultModel: string | null;
  settings: ModelProviderSettings;
  hasApiKey: boolean;
  apiKeyLastFour: string | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A new provider connection. */
export interface ModelProviderInput {
  name: string;
  provider: ModelProviderName;
  baseUrl?: string | null | undefined;
  defaultModel?: string | null | undefined;
  apiKey?: string | undefined;
  settings?: ModelProviderSettings | undefined;
}

/** A partial update; `apiKey: null` removes the key, a string replaces it. */
export interface ModelProviderPatch {
  name?: string | undefined;
  baseUrl?: string | null | undefined;
  defaultModel?: string | null | undefined;
  apiKey?: string | null | undefined;
  settings?: ModelProviderSettings | undefined;
}

/** Dependencies of the provider services. */
export interface ModelProviderDeps {
  readonly db: Database;
  readonly secrets: SecretService;
  readonly registry: ModelRegistry;
  readonly endpointPolicy: ModelEndpointPolicy;
}

/** The API view of a provider row; `lastFour` comes from its secret. */
export function toModelProviderView(row: ModelProviderRow, lastFour: string | null): ModelProviderView {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider,
    baseUrl: row.baseUrl,
    defaultModel: row.defaultModel,
    settings: settingsOf(row),
    hasApiKey: row.secretId !== null,
    apiKeyLastFour: row.secretId !== null ? lastFour : null,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const scopeOf = (context: RequestContext) => ({
  tenantId: context.tenantId,
  userId: context.actor.type === 'user' ? context.actor.id : null,
});

const secretName = (providerId: string) => `model-provider/${providerId}/api-key`;

function invalid(message: string, reason: string): AppError {
  return new AppError('validation_failed', message, { details: { reason } });
}

/** The provider kinds' rules: what a base URL and a key mean for each. */
async function validateShape(
  provider: ModelProviderName,
  fields: { baseUrl: string | null; hasApiKey: boolean; creating: boolean; baseUrlChanged: boolean },
  policy: ModelEndpointPolicy,
): Promise<void> {
  if (provider === 'offline') {
    if (fields.baseUrl !== null || fields.hasApiKey) {
      throw invalid('The offline provider takes no baseUrl and no apiKey', 'offline_has_no_endpoint');
    }
    return;
  }
  if (provider === 'openai-compatible' && fields.baseUrl === null) {
    throw invalid(
      'An openai-compatible provider needs a baseUrl (e.g. http://localhost:11434/v1)',
      'base_url_required',
    );
  }
  if (fields.creating && provider !== 'openai-compatible' && !fields.hasApiKey) {
    throw invalid(`The ${provider} provider needs an apiKey`, 'api_key_required');
  }
  // A stored URL is checked again at call time; an update that leaves it alone is not refused here.
  if (fields.baseUrl !== null && fields.baseUrlChanged) await checkModelEndpoint(fields.baseUrl, policy);
}

async function findView(tx: Tx, id: string): Promise<{ row: ModelProviderRow; view: ModelProviderView }> {
  const [found] = await tx
    .select({ row: tables.modelProviders, lastFour: tables.secrets.lastFour })
    .from(tables.modelProviders)
    .leftJoin(tables.secrets, eq(tables.secrets.id, tables.modelProviders.secretId))
    .where(eq(tables.modelProviders.id, id));
  if (!found) throw new AppError('not_found', 'Model provider not found');
  return { row: found.row, view: toModelProviderView(found.row, found.lastFour) };
}

/**
 * A tenant's model provider connections: OpenAI, Anthropic, OpenAI-compatible endpoints (on-prem
 * models) and the offline model. The API key is stored as an envelope-encrypted secret in the same
 * transaction as the provider row; both are audited, neither audit row holds the key.
 */
export function createModelProviderService(deps: ModelProviderDeps) {
  const { db, secrets } = deps;
  return {
    async create(context: RequestContext, input: ModelProviderInput): Promise<ModelProviderView> {
      const baseUrl = input.baseUrl ?? null;
      await validateShape(
        input.provider,
        { baseUrl, hasApiKey: input.apiKey !== undefined, creating: true, baseUrlChanged: true },
        deps.endpointPolicy,
      );
      return db.withTenant(scopeOf(context), async (tx) => {
        const id = newId('modelProvider');
        const secret =
          input.apiKey !== undefined
            ? await secrets.createIn(tx, context, {
                name: secretName(id),
                kind: 'api_key',
                value: input.apiKey,
              })
            : undefined;
        await tx.insert(tables.modelProviders).values({
          id,
          tenantId: context.tenantId,
          name: input.name,
          provider: input.provider,
          baseUrl,
          defaultModel: input.defaultModel ?? null,
          secretId: secret?.id ?? null,
          settings: { ...input.settings },
          createdBy: context.actor.id,
        });
        const { view } = await findView(tx, id);
        await appendAudit(tx, context, {
          action: 'model_provider.create',
          resourceType: 'model_provider',
          resourceId: id,
          after: view,
        });
        return view;
      });
    },

    async list(context: RequestContext, filters: { limit: number; cursor?: string | undefined }) {
      return db.withTenant(scopeOf(context), async (tx) => {
        const rows = await tx
          .select({ row: tables.modelProviders, lastFour: tables.secrets.lastFour })
          .from(tables.modelProviders)
          .leftJoin(tables.secrets, eq(tables.secrets.id, tables.modelProviders.secretId))
          .where(
            and(
              eq(tables.modelProviders.tenantId, context.tenantId),
              filters.cursor ? lt(tables.modelProviders.id, filters.cursor) : undefined,
            ),
          )
          .orderBy(desc(tables.modelProviders.id))
          .limit(filters.limit + 1);
        const page = rows.slice(0, filters.limit);
        return {
          data: page.map(({ row, lastFour }) => toModelProviderView(row, lastFour)),
          nextCursor: rows.length > filters.limit ? (page.at(-1)?.row.id ?? null) : null,
        };
      });
    },

    get: (context: RequestContext, id: string): Promise<ModelProviderView> =>
      db.withTenant(scopeOf(context), async (tx) => (await findView(tx, id)).view),

    async update(context: RequestContext, id: string, patch: ModelProviderPatch): Promise<ModelProviderView> {
      return db.withTenant(scopeOf(context), async (tx) => {
        const before = await findView(tx, id);
        const baseUrl = patch.baseUrl !== undefined ? patch.baseUrl : before.row.baseUrl;
        const hasApiKey = patch.apiKey !== undefined ? patch.apiKey !== null : before.row.secretId !== null;
        await validateShape(
          before.row.provider,
          { baseUrl, hasApiKey, creating: false, baseUrlChanged: patch.baseUrl !== undefined },
          deps.endpointPolicy,
        );
        let secretId = before.row.secretId;
        if (patch.apiKey === null && secretId !== null) {
          await secrets.removeIn(tx, context, secretId);
          secretId = null;
        } else if (typeof patch.apiKey === 'string') {
          secretId =
            secretId !== null
              ? (await secrets.rotateIn(tx, context, secretId, patch.apiKey)).id
              : (
                  await secrets.createIn(tx, context, {
                    name: secretName(id),
                    kind: 'api_key',
                    value: patch.apiKey,
                  })
                ).id;
        }
        await tx
          .update(tables.modelProviders)
          .set({
            ...(patch.name !== undefined ? { name: patch.name } : {}),
            ...(patch.baseUrl !== undefined ? { baseUrl: patch.baseUrl } : {}),
            ...(patch.defaultModel !== undefined ? { defaultModel: patch.defaultModel } : {}),
            ...(patch.settings !== undefined ? { settings: { ...patch.settings } } : {}),
            secretId,
            updatedAt: new Date(),
          })
          .where(eq(tables.modelProviders.id, id));
        const after = await findView(tx, id);
        await appendAudit(tx, context, {
          action: 'model_provider.update',
          resourceType: 'model_provider',
          resourceId: id,
          before: before.view,
          after: after.view,
        });
        return after.view;
      });
    },

    async remove(context: RequestContext, id: string): Promise<void> {
      await db.withTenant(scopeOf(context), async (tx) => {
        const before = await findView(tx, id);
        await tx.delete(tables.modelProviders).where(eq(tables.modelProviders.id, id));
        if (before.row.secretId !== null) await secrets.removeIn(tx, context, before.row.secretId);
        await appendAudit(tx, context, {
          action: 'model_provider.delete',
          resourceType: 'model_provider',
          resourceId: id,
          before: before.view,
        });
      });
    },
  };
}

export type ModelProviderService = ReturnType<typeof createModelProviderService>;
