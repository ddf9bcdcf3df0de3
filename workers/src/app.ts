import { OpenAPIHono } from '@hono/zod-openapi';
import { AppError } from '@lumay/shared';
import { Scalar } from '@scalar/hono-api-reference';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from './env.ts';
import { errorBody, handleError, validationHook } from './errors.ts';
import { authorize } from './middleware/authorize.ts';
import { requestContext } from './middleware/request-context.ts';
import { registerAgentCompletionRoutes } from './routes/agent-completions.ts';
import { registerAgentRoutes } from './routes/agents.ts';
import { registerApiKeyRoutes } from './routes/api-keys.ts';
import { registerApprovalRoutes } from './routes/approvals.ts';
import { registerAuditRoutes } from './routes/audit.ts';
import { registerAuthRoutes } from './routes/auth.ts';
import { registerCallRoutes } from './routes/calls.ts';
import { registerCampaignRoutes } from './routes/campaigns.ts';
import { registerConversationRoutes } from './routes/conversations.ts';
import { registerCostRoutes } from './routes/costs.ts';
import { isDocumentUpload, registerDocumentRoutes } from './routes/documents.ts';
import { registerFlowBuilderRoutes } from './routes/flow-builder.ts';
import { registerFlowVersionRoutes } from './routes/flow-versions.ts';
import { registerFlowRoutes } from './routes/flows.ts';
import { registerHandoffRoutes } from './routes/handoffs.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerIntentRoutes } from './routes/intents.ts';
import { registerKnowledgeBaseRoutes } from './routes/knowledge-bases.ts';
import { registerMemberRoutes } from './routes/members.ts';
import { registerModelProviderRoutes } from './routes/model-providers.ts';
import { registerPhoneNumberRoutes } from './routes/phone-numbers.ts';
import { registerRoleRoutes } from './routes/roles.ts';
import { registerTenantRoutes } from './routes/tenants.ts';
import { registerTestRunRoutes } from './routes/test-runs.ts';
import { registerTestSuiteRoutes } from './routes/test-suites.ts';
import { type AppDeps, createServices } from './services.ts';

/**
 * Builds the management API from Web-standard pieces only, so one app serves the edge (workerd),
 * Node on-prem and the embedded default. Request path: request id → auth → RBAC → route (which opens
 * the tenant transaction and writes audit rows) → response; one error shape throughout.
 */
export function buildApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const services = createServices(deps);
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use('*', requestContext(services));
  const limitOf = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new AppError('payload_too_large', `Request body exceeds ${maxSize} bytes`);
      },
    });
  const defaultBodyLimit = limitOf(deps.bodyLimitBytes);
  // PDFs travel as base64 on one route: only it may have a larger limit (knowledge.documentBodyLimitBytes).
  const documentBodyLimit = limitOf(
    Math.max(deps.bodyLimitBytes, deps.knowledge?.documentBodyLimitBytes ?? 0),
  );
  app.use('*', (c, next) =>
    (isDocumentUpload(c.req.method, c.req.path) ? documentBodyLimit : defaultBodyLimit)(c, next),
  );
  app.use('*', authorize());

  registerHealthRoutes(app);
  registerAuthRoutes(app);
  registerTenantRoutes(app);
  registerMemberRoutes(app);
  registerRoleRoutes(app);
  registerApiKeyRoutes(app);
  registerAgentRoutes(app);
  registerAgentCompletionRoutes(app);
  registerModelProviderRoutes(app);
  registerIntentRoutes(app);
  registerCostRoutes(app);
  registerAuditRoutes(app);
  registerKnowledgeBaseRoutes(app);
  registerDocumentRoutes(app);
  registerFlowBuilderRoutes(app);
  registerFlowRoutes(app);
  registerFlowVersionRoutes(app);
  registerConversationRoutes(app);
  registerApprovalRoutes(app);
  registerHandoffRoutes(app);
  registerPhoneNumberRoutes(app);
  registerCallRoutes(app);
  registerCampaignRoutes(app);
  registerTestSuiteRoutes(app);
  registerTestRunRoutes(app);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'A JWT access token from /v1/auth/login, or an API key (lmk_…)',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'LuMay management API', version: deps.version },
  });
  app.get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'LuMay API' }));

  app.notFound((c) =>
    c.json(errorBody('not_found', `No route for ${c.req.method} ${c.req.path}`, c.get('requestId')), 404),
  );
  app.onError(handleError);
  return app;
}

export type { AppDeps } from './services.ts';
