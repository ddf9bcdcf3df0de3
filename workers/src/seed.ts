import {
  createFlowService,
  type Database,
  generateTemporaryPassword,
  type OwnerQuery,
  type RequestContext,
  seedDemoFlows,
  seedDemoTestSuite,
} from '@lumay/shared';
import type { Services } from './services.ts';

export interface SeedOptions {
  adminEmail: string;
  adminPassword?: string | undefined;
  demo?: { ownerEmail: string; ownerPassword?: string | undefined } | undefined;
}

export interface SeedReport {
  admin: { email: string; tenantId: string; created: boolean; generatedPassword?: string };
  demo?: {
    email: string;
    tenantId: string;
    agentId?: string;
    /** The demo support flow and the billing specialist agent it delegates to. */
    flowId?: string;
    billingAgentId?: string;
    /** The demo agent's test suite (`npm run test:agent`). */
    testSuiteId?: string;
    created: boolean;
    generatedPassword?: string;
    /** The demo line: inbound calls reach the demo agent (media_stream). */
    phoneNumber?: string;
  };
}

/** The demo tenant's phone number, routed to the demo agent in media_stream mode. */
export const DEMO_PHONE_NUMBER = '+15550100000';

interface UserRow {
  id: string;
  is_platform_admin: boolean;
}

const system = { actor: { type: 'system' as const, id: 'seed' }, requestId: 'seed', ip: null };

/**
 * Routes DEMO_PHONE_NUMBER to the demo agent once: skipped when the number is registered already (by
 * this seed or anyone else) or the demo agent is gone. Also upgrades demo tenants seeded before voice.
 */
async function seedDemoPhoneNumber(
  services: Services,
  owner: OwnerQuery,
  tenantId: string,
  agentId: string | undefined,
): Promise<string | undefined> {
  if (!tenantId) return undefined;
  const [taken] = await owner<{ tenant_id: string }>(
    'select tenant_id from phone_numbers where number = $1',
    [DEMO_PHONE_NUMBER],
  );
  if (taken) return taken.tenant_id === tenantId ? DEMO_PHONE_NUMBER : undefined;
  const demoAgentId =
    agentId ??
    (
      await owner<{ id: string }>(
        "select id from agents where tenant_id = $1 and name = 'Demo support agent' order by id limit 1",
        [tenantId],
      )
    )[0]?.id;
  if (!demoAgentId) return undefined;
  await services.phoneNumbers.create(
    { ...system, tenantId, role: 'owner' },
    { number: DEMO_PHONE_NUMBER, agentId: demoAgentId, mode: 'media_stream', label: 'Demo line' },
  );
  return DEMO_PHONE_NUMBER;
}

async function membershipTenant(owner: OwnerQuery, userId: string): Promise<string | undefined> {
  const rows = await owner<{ tenant_id: string }>(
    'select tenant_id from memberships where user_id = $1 order by created_at limit 1',
    [userId],
  );
  return rows[0]?.tenant_id;
}

/**
 * Idempotent first-start seeding: a platform administrator (in a "Platform" tenant) and, when asked,
 * a demo tenant with an owner and a demo agent. Everything goes through the normal services, so it is
 * audited; only the platform-admin flag is set through the owner connection, by design.
 */
export async function seed(
  services: Services,
  db: Database,
  owner: OwnerQuery,
  options: SeedOptions,
): Promise<SeedReport> {
  const adminEmail = options.adminEmail.toLowerCase();
  let [admin] = await owner<UserRow>('select id, is_platform_admin from users where email = $1', [
    adminEmail,
  ]);
  let report: SeedReport;
  if (!admin) {
    const password = options.adminPassword ?? generateTemporaryPassword();
    const created = await services.tenants.create(system, {
      name: 'Platform',
      owner: { email: adminEmail, password, name: 'Platform administrator' },
    });
    admin = { id: created.owner.userId, is_platform_admin: false };
    report = {
      admin: {
        email: adminEmail,
        tenantId: created.tenant.id,
        created: true,
        ...(options.adminPassword ? {} : { generatedPassword: password }),
      },
    };
  } else {
    report = {
      admin: { email: adminEmail, tenantId: (await membershipTenant(owner, admin.id)) ?? '', created: false },
    };
  }
  if (!admin.is_platform_admin) {
    await owner('update users set is_platform_admin = true, updated_at = now() where id = $1', [admin.id]);
  }

  if (options.demo) {
    const demoEmail = options.demo.ownerEmail.toLowerCase();
    const [demoUser] = await owner<UserRow>('select id, is_platform_admin from users where email = $1', [
      demoEmail,
    ]);
    if (demoUser) {
      report.demo = {
        email: demoEmail,
        tenantId: (await membershipTenant(owner, demoUser.id)) ?? '',
        created: false,
      };
    } else {
      const password = options.demo.ownerPassword ?? generateTemporaryPassword();
      const created = await services.tenants.create(system, {
        name: 'Demo Company',
        owner: { email: demoEmail, password, name: 'Demo owner' },
      });
      const context: RequestContext = {
        tenantId: created.tenant.id,
        actor: { type: 'system', id: 'seed' },
        role: 'owner',
        requestId: 'seed',
        ip: null,
      };
      const agent = await services.agents.create(context, {
        name: 'Demo support agent',
        description: 'Answers order-status and returns questions for the demo tenant',
        status: 'active',
        language: 'en',
        config: { llm: { provider: 'offline' }, greeting: 'Hello! How can I help you today?' },
      });
      // The demo flows go through the flow service (validated, published as v1, audited).
      const knowledgeBases = await services.knowledge.bases.list(context, { limit: 1 });
      const demoFlows = await seedDemoFlows(
        {
          agents: services.agents,
          flows: createFlowService(db, { tools: services.tools }),
          intents: services.intents,
          knowledgeBaseIds: knowledgeBases.data.map((knowledgeBase) => knowledgeBase.id),
        },
        context,
        agent,
      );
      // A suite of test conversations for the demo flow, so `npm run test:agent` works out of the box.
      const testSuiteId = demoFlows ? await seedDemoTestSuite(services.testSuites, context, agent.id) : null;
      report.demo = {
        email: demoEmail,
        tenantId: created.tenant.id,
        agentId: agent.id,
        ...(demoFlows ? { flowId: demoFlows.flowId, billingAgentId: demoFlows.billingAgentId } : {}),
        ...(testSuiteId ? { testSuiteId } : {}),
        created: true,
        ...(options.demo.ownerPassword ? {} : { generatedPassword: password }),
      };
    }
    const phoneNumber = await seedDemoPhoneNumber(services, owner, report.demo.tenantId, report.demo.agentId);
    if (phoneNumber) report.demo.phoneNumber = phoneNumber;
  }
  return report;
}
