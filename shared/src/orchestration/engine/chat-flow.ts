import type { AgentView } from '../agents.ts';
import { FlowDefinition } from '../flows/definition.ts';

/**
 * The flow of an agent that has none: a plain LLM chat. It greets with `config.greeting` when the
 * agent has one, then loops: wait for the user, answer with the agent's instructions (an llm node adds
 * `config.instructions` / `systemPrompt` / `prompt` itself). Such conversations have no flow id or
 * version; the definition is rebuilt from the agent each turn.
 */
export function chatFlowFor(agent: AgentView): FlowDefinition {
  const greeting = typeof agent.config.greeting === 'string' ? agent.config.greeting.slice(0, 4000) : '';
  return FlowDefinition.parse({
    start: greeting ? 'greet' : 'listen',
    nodes: [
      ...(greeting
        ? [{ id: 'greet', type: 'message', text: greeting.replaceAll('{{', '\\{{'), next: 'listen' }]
        : []),
      {
        id: 'listen',
        type: 'collect',
        slot: 'utterance',
        prompt: '',
        valueType: 'string',
        maxAttempts: 10,
        next: 'reply',
        onFail: 'listen',
      },
      {
        id: 'reply',
        type: 'llm',
        instructions: 'Answer the customer helpfully and briefly.',
        next: 'listen',
      },
    ],
  });
}
