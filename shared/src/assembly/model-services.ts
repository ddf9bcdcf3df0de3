import { createCostService } from '../analytics/index.ts';
import { createSecretService, type SecretKeyring } from '../governance/index.ts';
import {
  createAgentCompletionService,
  createGuardedFetch,
  createIntentClassificationService,
  createIntentService,
  createModelProviderService,
  createModelRegistry,
  type ModelEndpointPolicy,
  type ModelProviderDeps,
  type ModelRegistry,
} from '../intelligence/index.ts';
import type { Database } from '../platform/index.ts';

/** The model-related dependencies a composition root may hand to `buildApp`; all optional. */
export interface ModelDeps {
  /** The KEK keyring (LUMAY_SECRETS_KEYS). Without one, storing or reading a secret answers 503. */
  secretsKeyring?: SecretKeyring;
  /**
   * On-prem: model endpoints may be private addresses (ALLOW_PRIVATE_MODEL_ENDPOINTS). Defaults to
   * false (public endpoints only), the safe choice for a deployment that does not say.
   */
  allowPrivateModelEndpoints?: boolean;
  /** Resolves host names for the endpoint check (Node); the edge checks literals and names only. */
  resolveHost?: (hostname: string) => Promise<readonly string[]>;
  /** Builds models; defaults to a registry whose fetch enforces the endpoint policy on every call. */
  modelRegistry?: ModelRegistry;
  /** Default timeout of hosted model calls, in ms. */
  modelTimeoutMs?: number;
}

/**
 * Secrets, model providers, agent completions, intents and costs, wired from the deps. The same
 * registry and endpoint policy serve the provider test call, agent completions and the intent
 * classifier's LLM fallback.
 */
export function createModelServices(deps: ModelDeps & { db: Database }) {
  const endpointPolicy: ModelEndpointPolicy = {
    allowPrivate: deps.allowPrivateModelEndpoints ?? false,
    ...(deps.resolveHost ? { resolveHost: deps.resolveHost } : {}),
  };
  const registry =
    deps.modelRegistry ??
    createModelRegistry({
      fetch: createGuardedFetch(endpointPolicy),
      timeoutMs: deps.modelTimeoutMs ?? 60_000,
    });
  const secrets = createSecretService(deps.db, deps.secretsKeyring);
  const intents = createIntentService(deps.db);
  const modelProviderDeps: ModelProviderDeps = { db: deps.db, secrets, registry, endpointPolicy };
  return {
    secrets,
    modelProviderDeps,
    modelProviders: createModelProviderService(modelProviderDeps),
    completions: createAgentCompletionService(modelProviderDeps),
    intents,
    intentClassifier: createIntentClassificationService({ ...modelProviderDeps, intents }),
    costs: createCostService(deps.db),
  };
}
