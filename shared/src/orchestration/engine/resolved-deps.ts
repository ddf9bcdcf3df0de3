import { type Clock, newId, systemClock } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import { createOffline, type LanguageModel } from '../../intelligence/index.ts';
import type { AgentView } from '../agents.ts';
import type { EngineDeps } from './engine-deps.ts';
import type { RecordedConversationEvent } from './events.ts';
import { createFlowLoader, type FlowLoader } from './flow-loader.ts';

/** The engine's dependencies with every default applied. */
export interface ResolvedEngineDeps extends EngineDeps {
  readonly clock: Clock;
  readonly models: (context: RequestContext, agent: AgentView) => Promise<readonly LanguageModel[]>;
  readonly recordCosts: boolean;
  readonly leaseGraceMs: number;
  readonly instanceId: string;
  readonly flows: FlowLoader;
  /** Hands committed events to `onEvent`, never letting it fail the turn. */
  emit(events: readonly RecordedConversationEvent[]): void;
}

/** Applies the defaults: system clock, offline model, cost capture on, random instance id. */
export function resolveEngineDeps(deps: EngineDeps): ResolvedEngineDeps {
  const offline = createOffline().languageModel();
  return {
    ...deps,
    clock: deps.clock ?? systemClock,
    models: deps.models ?? (async () => [offline]),
    recordCosts: deps.recordCosts ?? true,
    leaseGraceMs: deps.leaseGraceMs ?? 5_000,
    instanceId: deps.instanceId ?? newId('request'),
    flows: createFlowLoader(deps.db),
    emit(events) {
      if (!deps.onEvent) return;
      for (const event of events) {
        try {
          deps.onEvent(event);
        } catch {
          // Analytics must never break a conversation.
        }
      }
    },
  };
}
