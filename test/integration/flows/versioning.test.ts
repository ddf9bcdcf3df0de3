import { canonicalJson, FlowDefinition, resolveFlowVersion, sha256Hex } from '@lumay/shared';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppTarget, createAppTarget, type DatabaseKind } from '../../support/app-target.ts';
import { type Client, client, createTenant, loginAdmin } from '../../support/client.ts';
import { expectError } from '../security/error-shape.ts';
import { orderFlow, ownerContext } from './support.ts';

describe.each<DatabaseKind>(['postgres', 'pglite'])('flow versioning on %s', (kind) => {
  let target: AppTarget;
  let api: Client;
  let owner: Awaited<ReturnType<typeof createTenant>>;
  let flowId: string;

  beforeAll(async () => {
    target = await createAppTarget(kind);
    api = client(target);
    owner = await createTenant(api, await loginAdmin(api), 'flows');
    const created = await api.post(
      '/v1/flows',
      { name: 'Orders', definition: orderFlow() },
      { token: owner.token },
    );
    expect(created.status, created.text).toBe(201);
    flowId = created.body.id;
  });
  afterAll(() => target?.close());

  const as = {
    get token() {
      return owner.token;
    },
  };

  it('creates a flow with a normalised draft, no findings and no published version', async () => {
    const flow = await api.get(`/v1/flows/${flowId}`, as);
    expect(flow.status).toBe(200);
    expect(flow.body).toMatchObject({
      id: expect.stringMatching(/^flw_/),
      name: 'Orders',
      draftRevision: 1,
      publishedVersion: null,
      valid: true,
      findings: [],
    });
    expect(flow.body.draft).toEqual(FlowDefinition.parse(orderFlow()));
    expect(flow.body.draft.nodes[1].maxAttempts).toBe(3);
  });

  it('publishes an immutable v1 whose hash is SHA-256 of the canonical normalised definition', async () => {
    const published = await api.post(`/v1/flows/${flowId}/publish`, { note: 'first' }, as);
    expect(published.status, published.text).toBe(200);
    const expectedHash = await sha256Hex(canonicalJson(FlowDefinition.parse(orderFlow())));
    expect(published.body).toMatchObject({
      created: true,
      findings: [],
      version: { version: 1, contentHash: expectedHash, note: 'first', published: true },
    });
    const version = await api.get(`/v1/flows/${flowId}/versions/1`, as);
    expect(version.body.definition).toEqual(FlowDefinition.parse(orderFlow()));
    expect((await api.get(`/v1/flows/${flowId}`, as)).body.publishedVersion).toBe(1);
  });

  it('does not create a version for an unchanged draft', async () => {
    const again = await api.post(`/v1/flows/${flowId}/publish`, undefined, as);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, version: { version: 1 } });
    const versions = await api.get(`/v1/flows/${flowId}/versions`, as);
    expect(versions.body.data.map((row: { version: number }) => row.version)).toEqual([1]);
  });

  it('edits the draft optimistically, then publishes v2', async () => {
    const stale = await api.patch(`/v1/flows/${flowId}`, { description: 'x', draftRevision: 7 }, as);
    expectError(stale, 409, 'conflict');
    const edited = orderFlow('Your order {{slots.orderNumber}}: {{vars.order.status}}.');
    edited.nodes.splice(4, 1, { id: 'done', type: 'end', message: 'Bye!' } as never);
    const updated = await api.patch(`/v1/flows/${flowId}`, { definition: edited, draftRevision: 1 }, as);
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toMatchObject({ draftRevision: 2, publishedVersion: 1, valid: true });
    const published = await api.post(`/v1/flows/${flowId}/publish`, { note: 'second' }, as);
    expect(published.body).toMatchObject({ created: true, version: { version: 2, published: true } });
    const versions = await api.get(`/v1/flows/${flowId}/versions`, as);
    expect(versions.body.data).toEqual([
      expect.objectContaining({ version: 2, published: true, note: 'second' }),
      expect.objectContaining({ version: 1, published: false, note: 'first' }),
    ]);
    expect(versions.body.data[0].definition).toBeUndefined();
    const paged = await api.get(`/v1/flows/${flowId}/versions?limit=1`, as);
    expect(paged.body.nextCursor).toBe('2');
    const next = await api.get(`/v1/flows/${flowId}/versions?limit=1&cursor=2`, as);
    expect(next.body.data.map((row: { version: number }) => row.version)).toEqual([1]);
  });

  it('diffs v1..v2 and a version against the draft', async () => {
    const diff = await api.get(`/v1/flows/${flowId}/diff?from=1&to=2`, as);
    expect(diff.status, diff.text).toBe(200);
    expect(diff.body).toMatchObject({ identical: false, start: null, nodes: { added: [], removed: [] } });
    expect(diff.body.nodes.changed).toEqual([
      {
        id: 'answer',
        type: 'message',
        fields: [
          {
            field: 'text',
            from: 'Order {{slots.orderNumber}} is {{vars.order.status}}.',
            to: 'Your order {{slots.orderNumber}}: {{vars.order.status}}.',
          },
        ],
      },
      { id: 'done', type: 'end', fields: [{ field: 'message', from: null, to: 'Bye!' }] },
    ]);
    expect(diff.body.from.version).toBe(1);
    const toDraft = await api.get(`/v1/flows/${flowId}/diff?from=2`, as);
    expect(toDraft.body).toMatchObject({ identical: true, to: { version: 'draft' } });
    expect(toDraft.body.from.contentHash).toBe(toDraft.body.to.contentHash);
    const defaulted = await api.get(`/v1/flows/${flowId}/diff`, as);
    expect(defaulted.body).toMatchObject({ identical: true, from: { version: 2 }, to: { version: 'draft' } });
  });

  it('rolls the published pointer back without creating a version, and audits publish and rollback', async () => {
    const rolled = await api.post(`/v1/flows/${flowId}/rollback`, { version: 1 }, as);
    expect(rolled.status, rolled.text).toBe(200);
    expect(rolled.body).toMatchObject({ version: 1, published: true });
    const flow = await api.get(`/v1/flows/${flowId}`, as);
    expect(flow.body).toMatchObject({ publishedVersion: 1, draftRevision: 2 });
    expect((await api.get(`/v1/flows/${flowId}/versions`, as)).body.data).toHaveLength(2);
    expectError(await api.post(`/v1/flows/${flowId}/rollback`, { version: 9 }, as), 404, 'not_found');

    // Publishing the unchanged draft (= v2) points back at v2 instead of creating v3.
    const republished = await api.post(`/v1/flows/${flowId}/publish`, {}, as);
    expect(republished.body).toMatchObject({ created: false, version: { version: 2 } });
    expect((await api.get(`/v1/flows/${flowId}`, as)).body.publishedVersion).toBe(2);

    const audit = await api.get(`/v1/audit?resourceId=${flowId}`, as);
    const actions = audit.body.data.map((row: { action: string }) => row.action);
    expect(actions).toEqual([
      'flow.publish',
      'flow.rollback',
      'flow.publish',
      'flow.update',
      'flow.publish',
      'flow.create',
    ]);
    const rollback = audit.body.data[1];
    expect(rollback).toMatchObject({
      resourceType: 'flow',
      before: { publishedVersion: 2 },
      after: { publishedVersion: 1, restoredDraft: false },
    });
    const events = await target.owner(
      `select payload from outbox where tenant_id = '${owner.tenantId}' and topic = 'config.changed' and payload->>'resourceType' = 'flow'`,
    );
    expect(events.map((row) => (row.payload as { version: number }).version).sort()).toEqual([1, 1, 2, 2]);
  });

  it('restores the draft from a version on request', async () => {
    const rolled = await api.post(`/v1/flows/${flowId}/rollback`, { version: 1, restoreDraft: true }, as);
    expect(rolled.status).toBe(200);
    const flow = await api.get(`/v1/flows/${flowId}`, as);
    expect(flow.body).toMatchObject({ publishedVersion: 1, draftRevision: 3 });
    expect(flow.body.draft).toEqual(FlowDefinition.parse(orderFlow()));
  });

  it('keeps versions immutable: the app role cannot update or delete them', async () => {
    const scope = { tenantId: owner.tenantId, userId: owner.ownerId };
    // The port maps SQLSTATE 42501 to a 404 for callers; the driver's error underneath says why.
    const refusal = async (statement: string) => {
      const error = await target.db
        .withTenant(scope, (tx) => tx.execute(sql.raw(statement)))
        .then(
          () => undefined,
          (thrown: unknown) => thrown as { code?: string; cause?: { message?: string; code?: string } },
        );
      return { code: error?.code, cause: `${error?.cause?.code} ${error?.cause?.message}` };
    };
    for (const statement of [
      `update flow_versions set note = 'tampered' where flow_id = '${flowId}'`,
      `delete from flow_versions where flow_id = '${flowId}'`,
    ]) {
      const refused = await refusal(statement);
      expect(refused.code, statement).toBe('not_found');
      expect(refused.cause, statement).toMatch(/42501.*permission denied for table flow_versions/);
    }
    const rows = await target.owner(
      `select note from flow_versions where flow_id = '${flowId}' order by version`,
    );
    expect(rows.map((row) => row.note)).toEqual(['first', 'second']);
  });

  it('resolves the version an agent runs per channel: pin, else published, else 409', async () => {
    const agent = await api.post('/v1/agents', { name: 'Pinned' }, as);
    const pin = async (config: Record<string, unknown>) => {
      const response = await api.patch(`/v1/agents/${agent.body.id}`, { config }, as);
      expect(response.status, response.text).toBe(200);
      return response.body;
    };
    const context = ownerContext(owner.tenantId, owner.ownerId);
    expect(await resolveFlowVersion(target.db, context, agent.body, 'chat')).toBeNull();

    const pinned = await pin({ flow: { flowId, pins: { voice: 2 } } });
    const chat = await resolveFlowVersion(target.db, context, pinned, 'chat');
    expect(chat).toMatchObject({ flowId, version: 1, pinned: false });
    expect(chat?.definition).toEqual(FlowDefinition.parse(orderFlow()));
    expect(await resolveFlowVersion(target.db, context, pinned, 'voice')).toMatchObject({
      version: 2,
      pinned: true,
    });

    const missing = await pin({ flow: { flowId, pins: { voice: 5 } } });
    await expect(resolveFlowVersion(target.db, context, missing, 'voice')).rejects.toMatchObject({
      code: 'conflict',
      details: { reason: 'version_not_found' },
    });
    const draftOnly = await api.post('/v1/flows', { name: 'Unpublished', definition: orderFlow() }, as);
    const unpublished = await pin({ flow: { flowId: draftOnly.body.id } });
    await expect(resolveFlowVersion(target.db, context, unpublished, 'chat')).rejects.toMatchObject({
      code: 'conflict',
      details: { reason: 'flow_not_published' },
    });
    const malformed = await pin({ flow: { flowId: 'nope' } });
    await expect(resolveFlowVersion(target.db, context, malformed, 'chat')).rejects.toMatchObject({
      code: 'conflict',
    });

    // A flow an agent selects cannot be deleted until the agent lets go of it.
    await pin({ flow: { flowId: draftOnly.body.id } });
    expectError(await api.delete(`/v1/flows/${draftOnly.body.id}`, as), 409, 'conflict');
    await pin({});
    expect((await api.delete(`/v1/flows/${draftOnly.body.id}`, as)).status).toBe(204);
    expectError(await api.get(`/v1/flows/${draftOnly.body.id}`, as), 404, 'not_found');
  });
});
