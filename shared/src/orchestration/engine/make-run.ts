import { newId } from '../../core/index.ts';
import type { RequestContext } from '../../governance/index.ts';
import type { AgentView } from '../agents.ts';
import type { LoadedFlow } from './flow-loader.ts';
import type { ResolvedEngineDeps } from './resolved-deps.ts';
import type { Run, TurnBudget, TurnSink } from './run-context.ts';
import { parseState } from './state.ts';
import type { ConversationRow, MirrorTarget } from './store.ts';

/** A turn id (`turn_…`): names the messages and events of one turn. */
export function newTurnId(): string {
  return `turn_${newId('event').slice(4)}`;
}

/** Builds the run of one conversation within a turn. */
export function makeRun(options: {
  deps: ResolvedEngineDeps;
  context: RequestContext;
  agent: AgentView;
  flow: LoadedFlow;
  row: ConversationRow;
  turnId: string;
  budget: TurnBudget;
  sink: TurnSink | undefined;
  mirror: MirrorTarget | undefined;
  parentAgentId: string | undefined;
}): Run {
  const { row } = options;
  return {
    deps: options.deps,
    context: options.context,
    agent: options.agent,
    flow: options.flow.definition,
    nodes: options.flow.nodes,
    conversationId: row.id,
    channel: row.channel,
    startedAt: row.createdAt,
    turnId: options.turnId,
    budget: options.budget,
    sink: options.sink,
    mirror: options.mirror,
    parentAgentId: options.parentAgentId,
    visible: [],
    state: parseState(row.state),
    revision: row.stateRevision,
    status: row.status,
    steps: 0,
    error: undefined,
  };
}
